"""nova-compute: the compute manager on one host (RPC topic `compute`, server = host name).

It receives work from the conductor and nova-api (build, terminate, power actions,
rebuild, migrations and resizes, console; snapshots and shelve in manager_shelve.py,
interface attach/detach in manager_interfaces.py, evacuate in manager_evacuate.py),
fetches the image from Glance and
creates and binds ports in Neutron with the `nova` service token, prepares a boot volume
in Cinder (boot from volume), asks its driver (driver.py) to do the hypervisor part, and
reports every state change back to the conductor over RPC: a compute host never opens
compute.db. `ComputeHost` is the running service: the RPC server plus the heartbeat that
tells the conductor this host is alive; `stop()` takes the host off the bus.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid

from minicloud.common import rpc, trace
from minicloud.common.context import RequestContext
from minicloud.compute import driver as virt
from minicloud.compute import manager_events, recovery
from minicloud.common.clients import ImageClient, NetworkClient, ServiceError, VolumeClient
from minicloud.compute.manager_evacuate import EvacuateManager
from minicloud.compute.manager_interfaces import InterfaceManager
from minicloud.compute.manager_shelve import ShelveManager

LOG = logging.getLogger(__name__)


class ComputeManager(ShelveManager, InterfaceManager, EvacuateManager):
    def __init__(self, host: str, driver: virt.ComputeDriver, transport, tracer, config,
                 images: ImageClient, networks: NetworkClient,
                 volumes: VolumeClient | None = None):
        self.host, self.driver, self.tracer, self.config = host, driver, tracer, config
        self.images, self.networks, self.volumes = images, networks, volumes
        self.service = f"nova-compute@{host}"
        self.conductor = rpc.RPCClient(transport, "conductor", service=self.service,
                                       tracer=tracer, timeout=config.rpc_response_timeout)
        # Host to host: the live migration's call to its destination.
        self.compute = rpc.RPCClient(transport, "compute", service=self.service,
                                     tracer=tracer, timeout=config.rpc_long_timeout)
        self._locks: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)

    # -- helpers ----------------------------------------------------------------------------
    def _update(self, ctx, instance: dict, event: dict | None = None, **updates) -> dict | None:
        return self.conductor.call(ctx, "instance_update", instance_id=instance["id"],
                                   updates=updates, event=event)

    def _event(self, name: str, result: str = "Success", details: str | None = None,
               start: float | None = None) -> dict:
        return {"event": name, "result": result, "host": self.host, "details": details,
                "start": start}

    def _driver(self, operation: str, instance: dict):
        return self.tracer.span(f"{self.driver.hypervisor_type}-driver@{self.host}", operation,
                                instance=instance["id"], name=instance["name"])

    # -- build ------------------------------------------------------------------------------
    def build_and_run_instance(self, ctx, instance: dict, spec: dict, retry: dict):
        with self._locks[instance["id"]]:
            try:
                self._build(ctx, instance, spec, retry)
            except Exception as exc:  # e.g. the conductor did not answer: leave nothing
                LOG.exception("%s: build of %s failed", self.host, instance["id"])
                self._safe_destroy(instance)
                self.deallocate_network(instance)
                try:
                    self._give_up(ctx, instance, f"Build of instance {instance['id']} on "
                                  f"{self.host} failed: {exc}",
                                  "compute__do_build_and_run_instance")
                except rpc.RPCError:
                    LOG.error("%s: could not report the failed build of %s", self.host,
                              instance["id"])

    def _build(self, ctx, instance, spec, retry):
        start = time.time()
        event = "compute__do_build_and_run_instance"
        if self._update(ctx, instance, task_state="networking") is None:
            return  # deleted while it was being scheduled
        try:
            image = self.images.get(instance["image_ref"]) if instance["image_ref"] else {}
        except ServiceError as exc:
            return self._give_up(ctx, instance, f"Image {instance['image_ref']} could not be "
                                 f"fetched from Glance: {exc}", event)
        try:
            network_info = self.allocate_network(instance)
        except ServiceError as exc:
            self.deallocate_network(instance)
            return self._give_up(ctx, instance, f"Build of instance {instance['id']} aborted: "
                                 f"failed to allocate the network(s): {exc}", event)
        try:
            bdms = self.prep_block_devices(ctx, instance)
        except (ServiceError, TimeoutError) as exc:
            self.deallocate_network(instance)
            return self._give_up(ctx, instance, f"Build of instance {instance['id']} aborted: "
                                 f"failure prepping block device: {exc}", event)
        if self._update(ctx, instance, task_state="spawning", network_info=network_info) is None:
            return self.deallocate_network(instance)
        try:
            with self._driver("spawn", instance) as span:
                self.driver.spawn(instance, image, network_info, block_device_info=bdms)
                span.attrs["note"] = f"{instance['name']} running on {self.host}"
        except Exception as exc:  # the hypervisor failed: clean up here, try another host
            LOG.warning("%s: spawn of %s failed: %s", self.host, instance["id"], exc)
            trace.annotate(status=f"error: build failed on {self.host}, rescheduled: {exc}")
            self._safe_destroy(instance)
            self.deallocate_network(instance)
            self.conductor.call(ctx, "instance_update", instance_id=instance["id"], updates={},
                                event=self._event(event, "Error", f"Reschedule: {exc}", start))
            self.conductor.cast(ctx, "reschedule", instance_id=instance["id"], spec=spec,
                                retry=retry, error=f"Last error on {self.host}: {exc}")
            return
        # Deleted meanwhile? terminate_instance, queued behind this build, cleans up.
        self._update(ctx, instance, event=self._event(event, start=start),
                     vm_state="active", task_state=None, power_state=virt.RUNNING)

    def _give_up(self, ctx, instance, message: str, event: str) -> None:
        self.conductor.call(ctx, "build_failed", instance_id=instance["id"], message=message,
                            event=event)

    def _safe_destroy(self, instance) -> None:
        """Destroy the guest; one the hypervisor does not have is already gone."""
        try:
            self.driver.destroy(instance)
        except virt.DriverError as exc:
            LOG.info("%s: nothing to destroy for %s: %s", self.host, instance["id"], exc)

    # -- networking (Neutron, as the nova service user) -------------------------------------
    def allocate_network(self, instance: dict) -> list[dict]:
        return [self.allocate_port(instance, request)
                for request in instance["requested_networks"]]

    def allocate_port(self, instance: dict, request: dict) -> dict:
        """One interface: the user's port, or a new one on the network; bound to this host."""
        if request.get("port"):
            port = self.networks.port(request["port"])
        else:
            fields = {"network_id": request["uuid"], "device_id": instance["id"],
                      "device_owner": "compute:nova", "project_id": instance["project_id"],
                      "name": ""}
            groups = self._security_group_ids(instance)
            if groups:
                fields["security_groups"] = groups
            if request.get("fixed_ip"):
                fields["fixed_ips"] = [{"ip_address": request["fixed_ip"]}]
            port = self.networks.create_port(**fields)
        port = self.networks.update_port(port["id"], **{
            "device_id": instance["id"], "device_owner": "compute:nova",
            "binding:host_id": self.host})
        network = self.networks.network(port["network_id"])
        ips = port.get("fixed_ips") or [{}]
        vif = {"port_id": port["id"], "network_id": port["network_id"],
               "network_name": network.get("name") or port["network_id"],
               "ip": ips[0].get("ip_address"), "mac": port.get("mac_address"),
               "mtu": network.get("mtu"), "preexisting": bool(request.get("port"))}
        if request.get("tag"):
            vif["tag"] = request["tag"]
        return vif

    def _security_group_ids(self, instance: dict) -> list[str]:
        names = [g for g in instance["security_groups"] if g != "default"]
        ids = []
        for name in names:
            if len(name) == 36 and name.count("-") == 4:
                ids.append(name)
                continue
            found = self.networks.security_groups(name=name, project_id=instance["project_id"])
            if not found:
                raise ServiceError(400, f"Security group {name} not found.")
            ids.append(found[0]["id"])
        return ids

    def deallocate_network(self, instance: dict) -> None:
        """Delete the ports Nova made for the instance; detach the ones the user brought."""
        try:
            for port in self.networks.ports(device_id=instance["id"]):
                if not port.get("device_owner", "").startswith("compute:"):
                    continue
                if port["id"] in self._users_ports(instance):
                    self.networks.update_port(port["id"], device_id="", device_owner="",
                                              **{"binding:host_id": ""})
                else:
                    self.networks.delete_port(port["id"])
        except ServiceError as exc:
            LOG.warning("%s: could not release the ports of %s: %s", self.host, instance["id"],
                        exc)

    @staticmethod
    def _users_ports(instance: dict) -> set[str]:
        """Ports the user brought (at boot or attached later): given back, never deleted."""
        return ({r["port"] for r in instance["requested_networks"] if r.get("port")} |
                {v["port_id"] for v in instance["network_info"] if v.get("preexisting")})

    def _bind_ports(self, instance: dict, host: str) -> None:
        for vif in instance["network_info"]:
            self.networks.update_port(vif["port_id"], **{"binding:host_id": host})

    # -- volumes (Cinder's attachments API, as the nova service user) -----------------------
    def attach_volume(self, ctx, instance: dict, bdm: dict):
        """Give Cinder this host's connector, attach the disk it names, complete."""
        connector = {"host": self.host, "mountpoint": bdm["device_name"], "multipath": False,
                     "platform": "x86_64", "os_type": "linux", "initiator": None}
        with self._locks[instance["id"]]:
            try:
                attachment = self.volumes.attachment_update(bdm["attachment_id"], connector)
                with self._driver(f"attach {bdm['device_name']}", instance):
                    self.driver.attach_volume(instance, bdm["volume_id"], bdm["device_name"],
                                              attachment["connection_info"])
                self.volumes.attachment_complete(bdm["attachment_id"])
            except Exception as exc:  # noqa: BLE001 - leave the volume available again
                LOG.warning("%s: attaching %s to %s failed: %s", self.host, bdm["volume_id"],
                            instance["id"], exc)
                self._drop_attachment(bdm)
                self.conductor.call(ctx, "volume_attach_done", bdm_uuid=bdm["uuid"],
                                    instance_id=instance["id"], ok=False, message=str(exc))
                return
            self.conductor.call(ctx, "volume_attach_done", bdm_uuid=bdm["uuid"],
                                instance_id=instance["id"], ok=True)

    def prep_block_devices(self, ctx, instance: dict) -> list[dict]:
        """Boot from volume (Nova's `_prep_block_device`): make the boot volume from an image
        if asked (with the user's token: it belongs to the user's project), then give
        Cinder this host's connector for each mapped volume and complete the attachment."""
        requested = instance["system_metadata"].get("boot_volume")
        if not requested:
            return []
        self._update(ctx, instance, task_state="block_device_mapping")
        bdms = self.conductor.call(ctx, "block_device_mappings", instance_id=instance["id"])
        if requested["source"] in ("image", "snapshot") and not bdms:
            bdms = [self._new_boot_volume(ctx, instance, requested)]
        for bdm in bdms:
            self.connect_volume(bdm)
        return bdms

    def connect_volume(self, bdm: dict) -> None:
        """Give Cinder this host's connector for a reserved attachment, then complete it."""
        attachment = self.volumes.attachment_update(bdm["attachment_id"], {
            "host": self.host, "mountpoint": bdm["device_name"], "multipath": False,
            "platform": "x86_64", "os_type": "linux", "initiator": None})
        bdm["connection_info"] = attachment.get("connection_info")
        self.volumes.attachment_complete(bdm["attachment_id"])

    def _new_boot_volume(self, ctx, instance: dict, requested: dict) -> dict:
        """The boot volume made from an image or from a snapshot (of a volume-backed
        server's createImage)."""
        source = ({"snapshot_id": requested["snapshot_id"]} if requested["source"] == "snapshot"
                  else {"imageRef": requested["image_id"]})
        volume = self.volumes.create(token=ctx.auth_token, size=requested["size"], name="",
                                     **source)
        deadline = time.monotonic() + 120  # Nova: block_device_allocate_retries
        while volume["status"] != "available":
            if volume["status"] == "error" or time.monotonic() > deadline:
                raise ServiceError(500, f"Volume {volume['id']} did not finish being created "
                                        f"(status {volume['status']}).")
            time.sleep(0.1)
            volume = self.volumes.get(volume["id"], token=ctx.auth_token)
        attachment = self.volumes.attachment_create(volume["id"], instance["id"])
        return self.conductor.call(ctx, "bdm_created", row={
            "uuid": str(uuid.uuid4()), "instance_id": instance["id"], "volume_id": volume["id"],
            "attachment_id": attachment["id"], "device_name": "/dev/vda", "tag": None,
            "delete_on_termination": int(bool(requested.get("delete_on_termination")))})

    def detach_volume(self, ctx, instance: dict, bdm: dict):
        with self._locks[instance["id"]]:
            try:
                with self._driver(f"detach {bdm['device_name']}", instance):
                    self.driver.detach_volume(instance, bdm["volume_id"])
            except virt.DriverError as exc:
                LOG.warning("%s: detach of %s: %s", self.host, bdm["volume_id"], exc)
            self._drop_attachment(bdm)
            self.conductor.call(ctx, "volume_detached", bdm_uuid=bdm["uuid"],
                                instance_id=instance["id"])

    def _drop_attachment(self, bdm: dict) -> None:
        try:
            if self.volumes is not None and bdm["attachment_id"]:
                self.volumes.attachment_delete(bdm["attachment_id"])
        except ServiceError as exc:
            LOG.warning("%s: Cinder attachment %s not deleted: %s", self.host,
                        bdm["attachment_id"], exc)

    # -- events from Neutron, through nova-api (manager_events.py) --------------------------
    def external_instance_event(self, ctx, instance: dict, events: list[dict]):
        with self._locks[instance["id"]]:
            manager_events.handle(self, ctx, instance, events)

    # -- delete -----------------------------------------------------------------------------
    def terminate_instance(self, ctx, instance: dict):
        with self._locks[instance["id"]]:
            with self._driver("destroy", instance):
                self._safe_destroy(instance)
            for bdm in self.conductor.call(ctx, "block_device_mappings",
                                           instance_id=instance["id"]):
                self._drop_attachment(bdm)  # its volumes go back to `available`
                if bdm["delete_on_termination"]:
                    try:
                        self.volumes.delete(bdm["volume_id"])
                    except ServiceError as exc:
                        LOG.warning("%s: volume %s not deleted: %s", self.host,
                                    bdm["volume_id"], exc)
            self.deallocate_network(instance)
            self.conductor.call(ctx, "instance_destroyed", instance_id=instance["id"],
                                host=self.host)
        self._locks.pop(instance["id"], None)

    # -- power actions ----------------------------------------------------------------------
    ACTIONS = {  # method: (driver call, vm_state after, power_state after, event)
        "stop_instance": ("power_off", "stopped", virt.SHUTDOWN, "compute_stop_instance"),
        "start_instance": ("power_on", "active", virt.RUNNING, "compute_start_instance"),
        "pause_instance": ("pause", "paused", virt.PAUSED, "compute_pause_instance"),
        "unpause_instance": ("unpause", "active", virt.RUNNING, "compute_unpause_instance"),
        "suspend_instance": ("suspend", "suspended", virt.SUSPENDED, "compute_suspend_instance"),
        "resume_instance": ("resume", "active", virt.RUNNING, "compute_resume_instance"),
    }

    def _power(self, ctx, instance: dict, method: str, *args) -> None:
        call, vm_state, power, event = self.ACTIONS[method]
        start = time.time()
        with self._locks[instance["id"]]:
            try:
                with self._driver(call, instance):
                    getattr(self.driver, call)(instance, *args)
            except Exception as exc:
                self._update(ctx, instance, event=self._event(event, "Error", str(exc), start),
                             task_state=None)
                return
            self._update(ctx, instance, event=self._event(event, start=start),
                         vm_state=vm_state, power_state=power, task_state=None)

    def stop_instance(self, ctx, instance):
        self._power(ctx, instance, "stop_instance")

    def start_instance(self, ctx, instance):
        self._power(ctx, instance, "start_instance")

    def pause_instance(self, ctx, instance):
        self._power(ctx, instance, "pause_instance")

    def unpause_instance(self, ctx, instance):
        self._power(ctx, instance, "unpause_instance")

    def suspend_instance(self, ctx, instance):
        self._power(ctx, instance, "suspend_instance")

    def resume_instance(self, ctx, instance):
        self._power(ctx, instance, "resume_instance")

    def reboot_instance(self, ctx, instance, reboot_type: str = "SOFT"):
        start = time.time()
        with self._locks[instance["id"]]:
            with self._driver(f"reboot {reboot_type}", instance):
                self.driver.reboot(instance, reboot_type)
            self._update(ctx, instance, event=self._event("compute_reboot_instance", start=start),
                         vm_state="active", power_state=virt.RUNNING, task_state=None)

    # -- rebuild ----------------------------------------------------------------------------
    def rebuild_instance(self, ctx, instance: dict, image: dict | None,
                         recreate: bool = False, **evacuation):
        """Tear the guest down and spawn it again from `image` (a stopped one stays off).
        With `recreate` (Nova's word for evacuate): build here a server whose host failed
        (manager_evacuate.py)."""
        if recreate:
            return self.evacuate_here(ctx, instance, **evacuation)
        start, event = time.time(), "compute_rebuild_instance"
        stopped = instance["vm_state"] == "stopped"
        with self._locks[instance["id"]]:
            self._update(ctx, instance, task_state="rebuild_block_device_mapping")
            self._update(ctx, instance, task_state="rebuild_spawning")
            try:
                with self._driver("rebuild", instance) as span:
                    self.driver.rebuild(instance, image, instance["network_info"])
                    if stopped:
                        self.driver.power_off(instance)
                    span.attrs["note"] = f"{instance['name']} rebuilt from {image.get('name')}"
            except Exception as exc:  # the guest is gone: Nova leaves the server in ERROR
                self._update(ctx, instance, event=self._event(event, "Error", str(exc), start),
                             vm_state="error", task_state=None, power_state=virt.NOSTATE)
                return
            self._update(ctx, instance, event=self._event(event, start=start),
                         vm_state="stopped" if stopped else "active", task_state=None,
                         power_state=virt.SHUTDOWN if stopped else virt.RUNNING,
                         launched_at=time.time())

    def get_console_output(self, ctx, instance, length: int | None = None) -> str:
        text = self.driver.get_console_output(instance)
        if length is not None:
            text = "\n".join(text.splitlines()[-length:]) + "\n" if length > 0 else ""
        return text

    # -- cold migration (migrate, confirm, revert) ------------------------------------------
    def resize_instance(self, ctx, instance, dest: str, migration: dict):
        """On the source: take the instance off this hypervisor, hand it to `dest`."""
        start = time.time()
        with self._locks[instance["id"]]:
            self._update(ctx, instance, task_state="resize_migrating")
            with self._driver("migrate out", instance):
                state = self.driver.migrate_out(instance)
            self._update(ctx, instance, task_state="resize_migrated",
                         event=self._event("compute_resize_instance", start=start))
        self.compute.prepare(server=dest).cast(ctx, "finish_resize", instance=instance,
                                               migration=migration, state=state)

    def finish_resize(self, ctx, instance, migration: dict, state: dict):
        start = time.time()
        with self._locks[instance["id"]]:
            self._bind_ports(instance, self.host)
            with self._driver("migrate in", instance):
                self.driver.migrate_in(instance, state, instance["network_info"])
            self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                migration=migration, status="finished", free_host=None,
                                updates={"host": self.host, "node": self.host,
                                         "vm_state": "resized", "task_state": None},
                                event=self._event("compute_finish_resize", start=start))

    def confirm_resize(self, ctx, instance, migration: dict):
        """On the source: nothing of the instance is left here; release the claim."""
        start = time.time()
        self._safe_destroy(instance)
        vm_state = "stopped" if instance["power_state"] == virt.SHUTDOWN else "active"
        self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                            migration=migration, status="confirmed", free_host=self.host,
                            updates={"vm_state": vm_state, "task_state": None},
                            event=self._event("compute_confirm_resize", start=start))

    def revert_resize(self, ctx, instance, migration: dict):
        """On the destination: give the instance back to the source."""
        start = time.time()
        with self._locks[instance["id"]]:
            state = self.driver.migrate_out(instance)
        self.conductor.call(ctx, "instance_update", instance_id=instance["id"], updates={},
                            event=self._event("compute_revert_resize", start=start))
        self.compute.prepare(server=migration["source"]).cast(
            ctx, "finish_revert_resize", instance=instance, migration=migration, state=state)

    def finish_revert_resize(self, ctx, instance, migration: dict, state: dict):
        start = time.time()
        with self._locks[instance["id"]]:
            self._bind_ports(instance, self.host)
            self.driver.migrate_in(instance, state, instance["network_info"])
            vm_state = "stopped" if instance["power_state"] == virt.SHUTDOWN else "active"
            self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                migration=migration, status="reverted",
                                free_host=migration["dest"],
                                updates={"host": self.host, "node": self.host,
                                         "vm_state": vm_state, "task_state": None},
                                event=self._event("compute_finish_revert_resize",
                                                  start=start))

    # -- live migration ---------------------------------------------------------------------
    def live_migration(self, ctx, instance, dest: str, migration: dict):
        """On the source: move the running instance to `dest` (RPC call to it), then report."""
        with self._locks[instance["id"]]:
            with self._driver("live migrate out", instance):
                state = self.driver.migrate_out(instance)
            try:
                self.compute.prepare(server=dest).call(
                    ctx, "post_live_migration_at_destination", instance=instance, state=state)
            except rpc.RPCError as exc:
                self.driver.migrate_in(instance, state, instance["network_info"])
                self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                    migration=migration, status="error", free_host=dest,
                                    updates={"task_state": None})
                LOG.warning("live migration of %s to %s failed: %s", instance["id"], dest, exc)
                return
            self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                migration=migration, status="completed", free_host=self.host,
                                updates={"host": dest, "node": dest, "task_state": None})

    def post_live_migration_at_destination(self, ctx, instance, state: dict):
        self._bind_ports(instance, self.host)
        with self._driver("live migrate in", instance):
            self.driver.migrate_in(instance, state, instance["network_info"])


class ComputeHost:
    """One running nova-compute: its RPC server on `compute.<host>` and its heartbeat."""

    def __init__(self, host: str, manager: ComputeManager, transport, tracer, *,
                 host_ip: str):
        """`host_ip`: the node's management address (topology.py), as Nova's my_ip."""
        config = manager.config
        self.host, self.manager, self.report_interval = host, manager, config.report_interval
        self.host_ip = host_ip
        self.server = rpc.RPCServer(transport, "compute", host, [manager],
                                    service=manager.service, tracer=tracer,
                                    workers=config.compute_workers)
        # Reports travel untraced on their own topic: they would bury the users' traces.
        self.reports = rpc.RPCClient(transport, "heartbeat", service=manager.service)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def driver(self) -> virt.ComputeDriver:
        return self.manager.driver

    def start(self) -> "ComputeHost":
        self.server.start()
        ctx = RequestContext(user_name="nova")
        self.reports.call(ctx, "compute_node_update", host=self.host,
                                    resources=self.driver.resources(),
                                    hypervisor_type=self.driver.hypervisor_type,
                                    host_ip=self.host_ip)
        self._recover(ctx)
        self._stop.clear()
        self._thread = threading.Thread(target=self._heartbeats, daemon=True,
                                        name=f"heartbeat-{self.host}")
        self._thread.start()
        return self

    def _recover(self, ctx) -> None:
        """After a restart (`minicloud down` / `up`, or a crash), take back this host's
        instances and settle what was under way (recovery.py)."""
        recovery.settle_on_host(self, ctx)

    def _heartbeats(self) -> None:
        ctx = RequestContext(user_name="nova")
        while not self._stop.wait(self.report_interval):
            try:
                self.reports.cast(ctx, "service_heartbeat", binary="nova-compute",
                                            host=self.host)
            except rpc.RPCError as exc:
                LOG.warning("%s: heartbeat not sent: %s", self.host, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.server.stop()
        self.driver.host_shutdown()


class Heartbeat:
    """The heartbeat of a controller service (nova-scheduler, nova-conductor)."""

    def __init__(self, transport, binary: str, host: str, interval: float):
        self.conductor = rpc.RPCClient(transport, "heartbeat", service=binary)
        self.binary, self.host, self.interval = binary, host, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{binary}")

    def start(self) -> "Heartbeat":
        self._beat()
        self._thread.start()
        return self

    def _beat(self) -> None:
        try:
            self.conductor.cast(RequestContext(user_name="nova"), "service_heartbeat",
                                binary=self.binary, host=self.host)
        except rpc.RPCError as exc:
            LOG.warning("%s: heartbeat not sent: %s", self.binary, exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
