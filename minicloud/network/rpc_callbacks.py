"""What agents call on neutron-server over RPC (Neutron's api/rpc/handlers): the server
side of the agents in dataplane/.

Every agent casts `report_state` every `agent_report_interval` seconds to topic
`q-reports-plugin` (its heartbeat: the `agents` row's `heartbeat_at`, which
`openstack network agent list` turns into alive or `XXX`, agents.py), and
`update_device_up` to `q-plugin` once it wired a port (status DOWN -> ACTIVE; a VXLAN
port's MACs are then announced to every bridge agent: notifier.py's l2population), and
a bridge agent `update_device_down` when a port's tap vanished (ACTIVE -> DOWN).

An agent that starts (or starts again after its node went down) first asks for everything
it should have, its "full sync", as Neutron's agents do: the DHCP agent
`get_active_networks_info`, the L3 agent `sync_routers`, the bridge agent
`get_devices_details_list` (the ports bound to its host, with their
security groups: port_update's `sg_info`) and `get_fdb_entries` (the
l2population entries of their networks). The answers have the shapes of the notifier's
messages, so an agent applies them with the same code.
"""

from __future__ import annotations

import json

from minicloud.common import rpc
from minicloud.network.core import Neutron
from minicloud.network.topics import PLUGIN_TOPIC, REPORTS_TOPIC
from minicloud.network.store import new_id


class PluginCallbacks:
    """The endpoint neutron-server serves on `q-plugin` and `q-reports-plugin`."""

    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def report_state(self, ctx, agent_state: dict) -> None:
        now, store = self.neutron.clock(), self.neutron.store
        config = json.dumps(agent_state.get("configurations") or {})
        with store.transaction():
            row = store.agent_on(agent_state["agent_type"], agent_state["host"])
            if row is None:
                store.add_agent({
                    "id": new_id(), "agent_type": agent_state["agent_type"],
                    "binary": agent_state["binary"], "host": agent_state["host"],
                    "topic": agent_state.get("topic") or "N/A",
                    "availability_zone": agent_state.get("availability_zone"),
                    "heartbeat_at": now, "started_at": now, "created_at": now,
                    "configurations": config})
            else:
                changes = {"heartbeat_at": now, "configurations": config}
                if agent_state.get("start_flag"):
                    changes["started_at"] = now
                store.update_agent(row["id"], changes)
        self._started(ctx, agent_state, new=row is None)

    def _started(self, ctx, agent_state: dict, new: bool) -> None:
        """A bridge agent that (re)started announces its VTEP: ports it reported up before
        its first report (or at another address) are announced now."""
        if agent_state["agent_type"] == "Linux bridge agent" and (
                new or agent_state.get("start_flag")):
            self.neutron.notify.host_up(ctx, host=agent_state["host"])

    # -- full sync ---------------------------------------------------------------------------
    def get_active_networks_info(self, ctx, host: str) -> list[dict]:
        """For a DHCP agent: each network, with its subnets and ports (network_update's)."""
        notify, store = self.neutron.notify, self.neutron.store
        infos = (notify.dhcp_info(n["id"]) for n in store.networks())
        return [info for info in infos
                if info is not None and any(s["enable_dhcp"] for s in info["subnets"])]

    def sync_routers(self, ctx, host: str) -> list[dict]:
        """For an L3 agent: every router (routers_updated's)."""
        notify, store = self.neutron.notify, self.neutron.store
        return [info for info in (notify.router_info(r["id"]) for r in store.routers())
                if info is not None]

    def get_devices_details_list(self, ctx, host: str) -> list[dict]:
        """For a bridge agent: the ports bound to its host, each with its network and its
        security groups (port_update's)."""
        notify, store = self.neutron.notify, self.neutron.store
        return [{"port": info, "network": notify.network_info(p["network_id"]),
                 "sg_info": notify.sg_info(info["security_groups"])}
                for p in store.ports_bound_to(host) for info in [notify.port_info(p)]]

    def get_fdb_entries(self, ctx, host: str) -> dict:
        """For a bridge agent: l2population's entries of its networks (add_fdb_entries')."""
        return self.neutron.notify.fdb_entries_for_host(host)

    def update_device_up(self, ctx, port_id: str, host: str) -> None:
        if self._set_status(port_id, host, "ACTIVE"):
            self.neutron.notify.port_up(ctx, port_id)

    def update_device_down(self, ctx, port_id: str, host: str) -> None:
        if self._set_status(port_id, host, "DOWN"):
            self.neutron.notify.port_down(ctx, port_id)

    def _set_status(self, port_id: str, host: str, status: str) -> bool:
        """Whether the port is bound to `host` (a report from its old host is stale)."""
        store = self.neutron.store
        with store.transaction():
            port = store.get("ports", port_id)
            if port is None or port["binding_host_id"] != host:
                return False
            store.update("ports", port_id, {"status": status})
        return True


class PluginServers:
    """neutron-server's RPC servers: `q-plugin` (traced) and `q-reports-plugin` (untraced
    heartbeats), on the facade's transport."""

    def __init__(self, neutron: Neutron):
        endpoint = PluginCallbacks(neutron)
        transport = neutron.transport
        self.servers = [
            rpc.RPCServer(transport, PLUGIN_TOPIC, "neutron-server", [endpoint],
                          service="neutron-server", tracer=neutron.tracer).start(),
            rpc.RPCServer(transport, REPORTS_TOPIC, "neutron-server", [endpoint],
                          service="neutron-server").start()]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_plugin_rpc(neutron: Neutron) -> PluginServers:
    return PluginServers(neutron)
