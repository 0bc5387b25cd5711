"""The Nova facade: what every nova-api resource module shares (config, compute.db, the
RPC clients to the conductor and the compute hosts, the Glance, Neutron and Cinder
clients), and the rules they share: who may see a server, whether its host is up, the
project's quota limits, and deleting a server that no compute host will clean up.

The resource modules (servers.py, server_actions.py, flavors.py, ...) take a `Nova`;
api.py builds them around one. nova-conductor and nova-compute do not use it: they have
their own RPC clients (conductor.py, manager.py).
"""

from __future__ import annotations

import logging
import threading

from minicloud.common import errors, rpc, servicegroup
from minicloud.common.clients import ImageClient, NetworkClient, ServiceError, VolumeClient
from minicloud.compute.store import ComputeStore

LOG = logging.getLogger(__name__)

# What a project may use where no admin set a limit (`openstack quota show --default`).
DEFAULT_QUOTAS = {"instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100,
                  "metadata_items": 128, "server_groups": 10, "server_group_members": 10,
                  "injected_files": 5, "injected_file_content_bytes": 10240,
                  "injected_file_path_bytes": 255}


class Nova:
    """nova-api's state: the store, the RPC clients, Glance, Neutron and Cinder."""

    def __init__(self, config, store: ComputeStore, transport, tracer, images: ImageClient,
                 networks: NetworkClient, volumes: VolumeClient | None = None):
        self.config, self.store = config, store
        self.images, self.networks, self.volumes = images, networks, volumes
        # Everything nova-api sends the conductor builds or moves a server.
        self.conductor = rpc.RPCClient(transport, "conductor", service="nova-api", tracer=tracer,
                                       timeout=config.rpc_long_timeout)
        self.compute = rpc.RPCClient(transport, "compute", service="nova-api", tracer=tracer,
                                     timeout=config.rpc_response_timeout)
        # One create at a time in this nova-api. Not for correctness (the quota recheck
        # holds across nova-apis) but for speed: 100 servers from 10 clients took 7.4 s
        # with creates racing each other, 5.9 s with this lock.
        self.create_lock = threading.Lock()

    # -- who sees what ----------------------------------------------------------------------
    def instance(self, req, server_id: str) -> dict:
        """The server if the caller may see it (its project, or any for an admin), else 404."""
        row = self.store.instance(server_id)
        ctx = req.context.ctx
        if row is None or (not ctx.is_admin and row["project_id"] != ctx.project_id):
            raise errors.NotFound(f"Instance {server_id} could not be found.")
        return row

    # -- quotas -----------------------------------------------------------------------------
    def quotas(self, project_id: str) -> dict[str, int]:
        """The project's limits: what an admin set, else the default."""
        return {**DEFAULT_QUOTAS, **self.store.quota_limits(project_id)}

    # -- compute hosts ----------------------------------------------------------------------
    def service_up(self, host: str | None) -> bool:
        for service in self.store.services():
            if service["binary"] == "nova-compute" and service["host"] == host:
                return servicegroup.service_is_up(service, self.config.service_down_time)
        return False

    def host_status(self, instance: dict) -> str:
        """Nova's host_status (2.16): UP, DOWN (forced down), MAINTENANCE (disabled),
        UNKNOWN (no heartbeat), or "" for a server without a host."""
        if not instance["host"]:
            return ""
        for service in self.store.services():
            if service["binary"] == "nova-compute" and service["host"] == instance["host"]:
                if service["forced_down"]:
                    return "DOWN"
                if not self.service_up(instance["host"]):
                    return "UNKNOWN"
                return "MAINTENANCE" if service["disabled"] else "UP"
        return "UNKNOWN"

    def cast_to_host(self, ctx, instance: dict, method: str, host: str | None = None, **kw):
        self.compute.prepare(server=host or instance["host"]).cast(ctx, method,
                                                                   instance=instance, **kw)

    # -- delete without a host --------------------------------------------------------------
    def local_delete(self, ctx, instance: dict) -> None:
        """Delete a server no compute host will clean up: release its ports, free its claim."""
        users = {v["port_id"] for v in instance["network_info"] if v.get("preexisting")}
        try:
            for port in self.networks.ports(device_id=instance["id"]):
                if port["id"] in users:  # the user's port (e.g. of a shelved server): unbind
                    self.networks.update_port(port["id"], device_id="", device_owner="",
                                              **{"binding:host_id": ""})
                elif port.get("device_owner", "").startswith("compute:"):
                    self.networks.delete_port(port["id"])
        except ServiceError as exc:
            LOG.warning("server %s: its ports were not all released: %s", instance["id"], exc)
        for bdm in self.store.bdms(instance["id"]):  # its volumes go back to `available`
            try:
                if self.volumes is not None and bdm["attachment_id"]:
                    self.volumes.attachment_delete(bdm["attachment_id"])
            except ServiceError as exc:
                LOG.warning("server %s: attachment %s not deleted: %s", instance["id"],
                            bdm["attachment_id"], exc)
            self.store.delete_bdm(bdm["uuid"])
        self.store.free(instance["id"])
        self.store.update_instance(instance["id"], deleted=1, vm_state="deleted",
                                   task_state=None, terminated_at=self.store.clock())
