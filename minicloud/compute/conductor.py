"""nova-conductor: the only part of Nova off the API path that touches compute.db
(RPC topic `conductor`).

It runs the build: asks the scheduler for a host (RPC call), claims the flavor's resources
on that host, and casts `build_and_run_instance` to that host's compute manager; compute
hosts report every state change back here (`instance_update`), and their heartbeats and
resources too. A host that fails to spawn casts `build_instances` back with the hosts
tried so far: a reschedule, up to `scheduler_max_attempts`. Migrations and resizes
(a migration with a new flavor, applied when it lands, undone on revert) are orchestrated
here as well: schedule (or check the requested host), claim, then hand over to computes;
so are unshelving an offloaded server, which is scheduled again like a new one, and
evacuating the server of a failed host (rebuild_instance).
"""

from __future__ import annotations

import logging
import time

from minicloud.common import rpc, servicegroup, trace
from minicloud.compute import filters, views
from minicloud.compute.scheduler import host_state
from minicloud.common.timeutils import isotime
from minicloud.compute.store import ComputeStore

LOG = logging.getLogger(__name__)

# What a claim checks again, inside its transaction, on the host the scheduler chose.
RESOURCE_FILTERS = (filters.RamFilter(), filters.DiskFilter(), filters.VCPUFilter())
CLAIM_ATTEMPTS = 10


class ConductorManager:
    def __init__(self, store: ComputeStore, transport, tracer: trace.Tracer, config):
        self.store, self.tracer, self.config = store, tracer, config
        self.scheduler = rpc.RPCClient(transport, "scheduler", service="nova-conductor",
                                       tracer=tracer, timeout=config.rpc_response_timeout)
        # What the conductor sends a compute host builds or moves a server.
        self.compute = rpc.RPCClient(transport, "compute", service="nova-conductor",
                                     tracer=tracer, timeout=config.rpc_long_timeout)

    # -- what the scheduler sees ------------------------------------------------------------
    def host_states(self) -> list[dict]:
        services = {s["host"]: s for s in self.store.services() if s["binary"] == "nova-compute"}
        used = self.store.used()
        return [host_state(n, services.get(n["host"]), used.get(n["host"]),
                           up=n["host"] in services and servicegroup.service_is_up(
                               services[n["host"]], self.config.service_down_time))
                for n in self.store.compute_nodes()]

    def _schedule(self, ctx, instance: dict, spec: dict) -> tuple[str, str]:
        """Ask the scheduler, then claim on the chosen host. A host that another build
        filled in between is asked about again with fresh host states, as Nova asks again
        when a Placement claim fails."""
        for _ in range(CLAIM_ATTEMPTS):
            answer = self.scheduler.call(ctx, "select_destinations", spec=spec,
                                         hosts=self.host_states())
            if self._claim(instance["id"], answer["host"], spec["flavor"]):
                return answer["host"], answer["explanation"]
        raise rpc.RemoteError("NoValidHost", f"No valid host was found: {CLAIM_ATTEMPTS} "
                                             "claims lost to other builds.")

    def _claim(self, instance_id: str, host: str, flavor: dict) -> bool:
        """Allocate the flavor on the host if it still fits (Placement's claim): checked
        and written in one database transaction, so two conductors, or two threads of one,
        cannot both take a host's last room."""
        with self.store.transaction():
            node = self.store.compute_node(host)
            if node is None:
                return False
            state = host_state(node, None, self.store.used().get(host), up=True)
            if any(f.reject(state, {"flavor": flavor}) for f in RESOURCE_FILTERS):
                return False
            self.store.allocate(instance_id, host, flavor)
        return True

    # -- building ---------------------------------------------------------------------------
    def build_instances(self, ctx, instance_id: str, spec: dict, retry: dict | None = None):
        instance = self.store.instance(instance_id)
        if instance is None or instance["task_state"] == "deleting":
            return
        retry = retry or {"num_attempts": 0, "hosts": []}
        retry["num_attempts"] += 1
        start = time.time()
        exhausted = (f"Exceeded maximum number of retries. Exhausted all hosts available "
                     f"for retrying build failures for instance {instance_id}. Hosts tried: "
                     f"{', '.join(retry['hosts'])}. {retry.get('last_error', '')}")
        if retry["num_attempts"] > self.config.scheduler_max_attempts:
            self._fail(ctx, instance, "conductor_schedule_and_build_instances", exhausted, start)
            return
        spec = {**spec, "ignore_hosts": retry["hosts"]}
        try:
            host, explanation = self._schedule(ctx, instance, spec)
        except rpc.RemoteError as exc:
            message = exhausted if retry["hosts"] else exc.value
            self._fail(ctx, instance, "conductor_schedule_and_build_instances", message, start)
            return
        except rpc.RPCError as exc:
            self._fail(ctx, instance, "conductor_schedule_and_build_instances", str(exc), start)
            return
        retry["hosts"].append(host)
        if self.store.instance(instance_id) is None:  # deleted while being scheduled
            self.store.free(instance_id)
            return
        instance = self.store.update_instance(instance_id, host=host, node=host)
        span = trace.current()
        if span is not None:
            again = f" (attempt {retry['num_attempts']})" if retry["num_attempts"] > 1 else ""
            span.attrs["note"] = f"scheduled on {host}{again}"
        self.store.add_event(instance_id, ctx.request_id, "conductor_schedule_and_build_instances",
                             result="Success", host=host, details=explanation, start=start)
        self.compute.prepare(server=host).cast(ctx, "build_and_run_instance", instance=instance,
                                               spec=spec, retry=retry)

    def reschedule(self, ctx, instance_id: str, spec: dict, retry: dict, error: str):
        """A host could not spawn: free its claim and try the others."""
        instance = self.store.instance(instance_id)
        if instance is None:
            return
        self.store.free(instance_id)
        self.store.update_instance(instance_id, host=None, node=None, task_state="scheduling",
                                   network_info=[])
        self.build_instances(ctx, instance_id, spec, {**retry, "last_error": error})

    def _fail(self, ctx, instance: dict, event: str, message: str, start=None) -> None:
        self.store.free(instance["id"])
        fault = {"code": 500, "message": message, "created": isotime(time.time())}
        self.store.update_instance(instance["id"], vm_state="error", task_state=None,
                                   fault=fault)
        self.store.add_event(instance["id"], ctx.request_id, event, result="Error",
                             host=instance.get("host"), details=message, start=start)
        span = trace.current()
        if span is not None:
            span.attrs["note"] = f"server ERROR: {message}"

    # -- what compute hosts report ----------------------------------------------------------
    def instance_update(self, ctx, instance_id: str, updates: dict,
                        event: dict | None = None) -> dict | None:
        instance = self.store.instance(instance_id)
        if instance is None:  # deleted meanwhile: nothing it held may stay claimed
            self.store.free(instance_id)
            return None
        if updates.get("vm_state") == "active" and instance["vm_state"] == "building":
            updates["launched_at"] = time.time()
        instance = self.store.update_instance(instance_id, **updates)
        if event:
            self.store.add_event(instance_id, ctx.request_id, **event)
        span = trace.current()
        if span is not None:
            task = instance["task_state"]
            span.attrs["note"] = (f"server {views.status(instance)}" if task is None else
                                  f"vm_state {instance['vm_state']}, task_state {task}")
        return instance

    def build_failed(self, ctx, instance_id: str, message: str, event: str):
        instance = self.store.instance(instance_id)
        if instance is not None:
            self._fail(ctx, instance, event, message)

    def instance_destroyed(self, ctx, instance_id: str, host: str | None = None):
        """The compute host has torn the instance down: free everything, mark it deleted."""
        self.store.free(instance_id)
        for bdm in self.store.bdms(instance_id):
            self.store.delete_bdm(bdm["uuid"])
        self.store.update_instance(instance_id, deleted=1, vm_state="deleted", task_state=None,
                                   terminated_at=time.time())
        self.store.add_event(instance_id, ctx.request_id, "compute_terminate_instance",
                             result="Success", host=host)

    def volume_attach_done(self, ctx, bdm_uuid: str, instance_id: str, ok: bool,
                           message: str | None = None):
        """A compute host attached a volume (event), or failed and forgot its mapping."""
        if not ok:
            self.store.delete_bdm(bdm_uuid)
        self.store.add_event(instance_id, ctx.request_id, "compute_attach_volume",
                             result="Success" if ok else "Error", details=message)

    def volume_detached(self, ctx, bdm_uuid: str, instance_id: str):
        self.store.delete_bdm(bdm_uuid)
        self.store.add_event(instance_id, ctx.request_id, "compute_detach_volume",
                             result="Success")

    def block_device_mappings(self, ctx, instance_id: str) -> list[dict]:
        return self.store.bdms(instance_id)

    def instances_on_host(self, ctx, host: str) -> list[dict]:
        """What a compute host should be running (it asks when it starts, as Nova's
        init_host does)."""
        return self.store.instances(host=host)

    def service_heartbeat(self, ctx, binary: str, host: str):
        self.store.heartbeat(binary, host)

    def compute_node_update(self, ctx, host: str, resources: dict, hypervisor_type: str,
                            host_ip: str):
        self.store.ensure_service("nova-compute", host)
        self.store.heartbeat("nova-compute", host)
        self.store.upsert_compute_node(host, {
            **resources, "hypervisor_type": hypervisor_type, "host_ip": host_ip,
            "cpu_ratio": self.config.cpu_allocation_ratio,
            "ram_ratio": self.config.ram_allocation_ratio,
            "disk_ratio": self.config.disk_allocation_ratio})

    # -- migrations -------------------------------------------------------------------------
    def migrate_server(self, ctx, instance_id: str, host: str | None, live: bool,
                       flavor: dict | None = None):
        """Cold or live migration, or (with a new `flavor`) a resize."""
        instance = self.store.instance(instance_id)
        if instance is None:
            return
        event = "conductor_live_migrate_instance" if live else "conductor_migrate_server"
        spec = _move_spec(instance, host, flavor=flavor, ignore_hosts=[instance["host"]])
        start = time.time()
        try:
            dest, explanation = self._schedule(ctx, instance, spec)
        except rpc.RPCError as exc:
            message = exc.value if isinstance(exc, rpc.RemoteError) else str(exc)
            previous = "active" if live or instance["power_state"] == 1 else "stopped"
            self.store.update_instance(instance_id, task_state=None, vm_state=previous)
            self.store.add_event(instance_id, ctx.request_id, event, result="Error",
                                 details=f"Migration pre-check error: {message}", start=start)
            return
        self.store.add_event(instance_id, ctx.request_id, event, result="Success", host=dest,
                             details=explanation, start=start)
        kind = "live-migration" if live else "resize" if flavor else "migration"
        migration = self.store.add_migration(instance_id, instance["host"], dest, kind)
        if flavor:  # travels with the migration to the destination, which applies it
            migration["new_flavor"] = flavor
        method = "live_migration" if live else "resize_instance"
        self.compute.prepare(server=instance["host"]).cast(
            ctx, method, instance=instance, dest=dest, migration=migration)

    def migration_done(self, ctx, instance_id: str, migration: dict, updates: dict,
                       status: str, free_host: str | None, event: dict | None = None):
        """A compute host finished a step of a migration (finished, confirmed, reverted,
        error): record it, move the instance, free the host it left."""
        self.store.set_migration_status(migration["uuid"], status)
        if free_host:
            self.store.free(instance_id, free_host)
        instance = self.store.instance(instance_id)
        if instance is not None:
            updates = {**updates, **self._resize_flavor(instance, migration, status)}
        return self.instance_update(ctx, instance_id, updates, event)

    @staticmethod
    def _resize_flavor(instance: dict, migration: dict, status: str) -> dict:
        """A resize swaps the flavor when it lands (keeping the old one in system_metadata),
        forgets the old one on confirm and puts it back on revert."""
        meta = dict(instance["system_metadata"])
        if status == "finished" and migration.get("new_flavor"):
            meta["old_flavor"] = instance["flavor"]
            return {"flavor": migration["new_flavor"], "system_metadata": meta}
        if status in ("confirmed", "reverted") and "old_flavor" in meta:
            old = meta.pop("old_flavor")
            return {"system_metadata": meta, **({"flavor": old} if status == "reverted" else {})}
        return {}

    # -- evacuate (nova-api's half is evacuate.py, the host's manager_evacuate.py) -----------
    def rebuild_instance(self, ctx, instance_id: str, migration: dict, host: str | None = None,
                         requested_host: str | None = None, **rebuild):
        """Nova's rebuild_instance with recreate: a server whose host failed is placed on
        another (a forced `host` is only claimed, a `requested_host` goes through the
        filters, else the scheduler picks any but the failed one), then rebuilt there.
        `rebuild`: new_pass, on_shared_storage, target_state, for the destination."""
        instance = self.store.instance(instance_id)
        if instance is None:
            return
        start, event = time.time(), "rebuild_server"
        try:
            if host:
                if not self._claim(instance_id, host, instance["flavor"]):
                    raise rpc.RemoteError("NoValidHost", f"No valid host was found. Unable to "
                                          f"move instance {instance_id} to host {host}. There "
                                          "is not enough capacity on the host for the "
                                          "instance.")
                dest, explanation = host, f"forced to {host}: the scheduler was not asked"
            else:
                spec = _move_spec(instance, requested_host, ignore_hosts=[instance["host"]])
                dest, explanation = self._schedule(ctx, instance, spec)
        except rpc.RPCError as exc:
            message = exc.value if isinstance(exc, rpc.RemoteError) else str(exc)
            self.store.set_migration_status(migration["uuid"], "error")
            # A forced host keeps the server as it was (Nova); a failed schedule is ERROR.
            updates = {"task_state": None, **({} if host else {"vm_state": "error", "fault": {
                "code": 500, "message": message, "created": isotime(time.time())}})}
            self.store.update_instance(instance_id, **updates)
            self.store.add_event(instance_id, ctx.request_id, event, result="Error",
                                 details=message, start=start)
            return
        self.store.set_migration_status(migration["uuid"], "pre-migrating", dest=dest)
        self.store.add_event(instance_id, ctx.request_id, event, result="Success", host=dest,
                             details=explanation, start=start)
        span = trace.current()
        if span is not None:
            span.attrs["note"] = f"evacuating {instance['host']} -> {dest}"
        self.compute.prepare(server=dest).cast(
            ctx, "rebuild_instance", instance=instance, image=None, recreate=True,
            migration={**migration, "dest": dest, "status": "pre-migrating"}, **rebuild)

    def evacuations_from(self, ctx, host: str) -> list[dict]:
        """What a compute host that comes back must not run again: its servers evacuated
        elsewhere meanwhile (migrations accepted, pre-migrating or done), each with the
        instance as it is now."""
        found = []
        for migration in self.store.migrations(kind="evacuation", host=host):
            if migration["source"] == host and migration["status"] in (
                    "accepted", "pre-migrating", "done"):
                instance = self.store.instance(migration["instance_id"], include_deleted=True)
                found.append({"migration": migration, "instance": instance})
        return found

    def evacuation_cleaned(self, ctx, migration: dict, instance_id: str, host: str):
        """The failed host destroyed its copy: its claim goes, the evacuation is completed."""
        self.store.free(instance_id, host)
        self.store.set_migration_status(migration["uuid"], "completed")

    # -- shelve -----------------------------------------------------------------------------
    def shelve_offloaded(self, ctx, instance_id: str, updates: dict, event: dict):
        """The host has let go of a shelved server: it holds no resources anywhere now."""
        self.store.free(instance_id)
        return self.instance_update(ctx, instance_id, {**updates, "host": None, "node": None},
                                    event)

    def unshelve_instance(self, ctx, instance_id: str, host: str | None = None):
        """A shelved server starts again where it is; an offloaded one is scheduled first."""
        instance = self.store.instance(instance_id)
        if instance is None:
            return
        image_id = instance["system_metadata"].get("shelved_image_id")
        if instance["vm_state"] == "shelved":
            self.compute.prepare(server=instance["host"]).cast(
                ctx, "unshelve_instance", instance=instance, image_id=image_id)
            return
        spec = _move_spec(instance, host)
        start = time.time()
        try:
            dest, explanation = self._schedule(ctx, instance, spec)
        except rpc.RPCError as exc:
            message = exc.value if isinstance(exc, rpc.RemoteError) else str(exc)
            self.store.update_instance(instance_id, task_state=None)
            self.store.add_event(instance_id, ctx.request_id, "conductor_unshelve_instance",
                                 result="Error", details=message, start=start)
            return
        instance = self.store.update_instance(instance_id, host=dest, node=dest)
        self.store.add_event(instance_id, ctx.request_id, "conductor_unshelve_instance",
                             result="Success", host=dest, details=explanation, start=start)
        self.compute.prepare(server=dest).cast(ctx, "unshelve_instance", instance=instance,
                                               image_id=image_id)

    # -- interfaces (os-interface) ----------------------------------------------------------
    def vif_added(self, ctx, instance_id: str, vif: dict, event: dict):
        """A compute host plugged a port: it joins the server's network info."""
        with self.store.transaction():  # one read-modify-write of network_info at a time
            instance = self.store.instance(instance_id)
            if instance is None:
                return None
            info = [v for v in instance["network_info"] if v["port_id"] != vif["port_id"]]
            return self.instance_update(ctx, instance_id, {"network_info": info + [vif]}, event)

    def vif_removed(self, ctx, instance_id: str, port_id: str, event: dict):
        with self.store.transaction():
            instance = self.store.instance(instance_id)
            if instance is None:
                return None
            info = [v for v in instance["network_info"] if v["port_id"] != port_id]
            return self.instance_update(ctx, instance_id, {"network_info": info}, event)

    # -- boot from volume -------------------------------------------------------------------
    def bdm_created(self, ctx, row: dict) -> dict:
        """A compute host made a boot volume (image -> volume) and attached it."""
        return self.store.add_bdm(row)

    def bdm_attachment_moved(self, ctx, bdm_uuid: str, attachment_id: str) -> None:
        """An evacuated server's volume has a new Cinder attachment (its new host's)."""
        self.store.set_bdm_attachment(bdm_uuid, attachment_id)


def _move_spec(instance: dict, host: str | None, *, flavor: dict | None = None,
               ignore_hosts: list | None = None) -> dict:
    """What the scheduler needs to place a server that exists already (migrate, resize,
    unshelve): its flavor (or the new one), the hosts to avoid, the host asked for."""
    return {"instance_id": instance["id"], "flavor": flavor or instance["flavor"], "image": {},
            "availability_zone": None, "ignore_hosts": ignore_hosts or [],
            "force_hosts": [host] if host else []}
