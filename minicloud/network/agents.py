"""Agents as neutron-server sees them: `/v2.0/agents` (`openstack network agent list`),
the `q-plugin` RPC endpoint agents report to, and `/v2.0/minicloud/dataplane`.

Every agent casts `report_state` to topic `q-plugin` every `agent_report_interval`
seconds; an agent whose last heartbeat is older than `agent_down_time` is shown dead
(`XXX`). Agents also cast `update_device_up` once they wired a port (status -> ACTIVE).
`GET /v2.0/minicloud/dataplane` (admin, minicloud's own) asks every agent over RPC what it
has configured; `minicloud agents` prints it.
"""

from __future__ import annotations

import datetime
import json

import falcon

from minicloud.common import policy, rpc, servicegroup
from minicloud.common.validation import read_json
from minicloud.network import schemas, views
from minicloud.network.core import Neutron, not_found
from minicloud.network.notifier import PLUGIN_TOPIC, REPORTS_TOPIC
from minicloud.network.store import new_id

AGENT_TOPICS = {"L3 agent": "l3_agent", "DHCP agent": "dhcp_agent",
                "Linux bridge agent": "q-agent-notifier"}


def _time(when: float) -> str:
    moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def alive(neutron: Neutron, row: dict) -> bool:
    return servicegroup.is_up(row["heartbeat_at"], neutron.config.agent_down_time,
                              now=neutron.clock())


def view(neutron: Neutron, row: dict) -> dict:
    return {"id": row["id"], "agent_type": row["agent_type"], "binary": row["binary"],
            "host": row["host"], "topic": row["topic"], "alive": alive(neutron, row),
            "admin_state_up": bool(row["admin_state_up"]),
            "heartbeat_timestamp": _time(row["heartbeat_at"]),
            "created_at": _time(row["created_at"]), "started_at": _time(row["started_at"]),
            "configurations": json.loads(row["configurations"]),
            "description": row["description"]}


class PluginRpc:
    """What agents call on neutron-server (topic `q-plugin`)."""

    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def report_state(self, ctx, agent_state: dict) -> None:
        now, store = self.neutron.clock(), self.neutron.store
        with store.transaction() as db:
            row = store.one("agents", "agent_type = ? AND host = ?",
                            (agent_state["agent_type"], agent_state["host"]))
            config = json.dumps(agent_state.get("configurations") or {})
            if row is None:
                db["agents"].insert({
                    "id": new_id(), "agent_type": agent_state["agent_type"],
                    "binary": agent_state["binary"], "host": agent_state["host"],
                    "topic": agent_state.get("topic") or "N/A",
                    "availability_zone": agent_state.get("availability_zone"),
                    "heartbeat_at": now, "started_at": now, "created_at": now,
                    "configurations": config})
                return
            changes = {"heartbeat_at": now, "configurations": config}
            if agent_state.get("start_flag"):
                changes["started_at"] = now
            db["agents"].update(row["id"], changes)

    def update_device_up(self, ctx, port_id: str, host: str) -> None:
        self._set_status(port_id, host, "ACTIVE")

    def _set_status(self, port_id: str, host: str, status: str) -> None:
        with self.neutron.store.transaction() as db:
            port = self.neutron.store.get("ports", port_id)
            if port is not None and port["binding_host_id"] == host:
                self.neutron.store.update(db, "ports", port_id, {"status": status})


class PluginServers:
    """neutron-server's RPC servers: `q-plugin` (traced) and `q-reports-plugin` (untraced
    heartbeats)."""

    def __init__(self, neutron: Neutron, transport, tracer=None):
        endpoint = PluginRpc(neutron)
        self.servers = [
            rpc.RPCServer(transport, PLUGIN_TOPIC, "neutron-server", [endpoint],
                          service="neutron-server", tracer=tracer).start(),
            rpc.RPCServer(transport, REPORTS_TOPIC, "neutron-server", [endpoint],
                          service="neutron-server").start()]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_plugin_rpc(neutron: Neutron, transport, tracer=None) -> PluginServers:
    return PluginServers(neutron, transport, tracer)


class Agents:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.neutron.store.rows("agents", order="host, agent_type")
        resp.media = {"agents": views.select(req, [view(self.neutron, r) for r in rows])}


class Agent:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def _find(self, agent_id: str) -> dict:
        row = self.neutron.store.get("agents", agent_id)
        if row is None:
            raise not_found("agent", agent_id)
        return row

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, agent_id):
        resp.media = {"agent": view(self.neutron, self._find(agent_id))}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, agent_id):
        self._find(agent_id)
        fields = read_json(req, schemas.AGENT_UPDATE)["agent"]
        changes = {}
        if "admin_state_up" in fields:
            changes["admin_state_up"] = int(fields["admin_state_up"])
        if "description" in fields:
            changes["description"] = fields["description"] or ""
        with self.neutron.store.transaction() as db:
            if changes:
                db["agents"].update(agent_id, changes)
        resp.media = {"agent": view(self.neutron, self._find(agent_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, agent_id):
        self._find(agent_id)
        with self.neutron.store.transaction() as db:
            db.execute("DELETE FROM agents WHERE id = ?", (agent_id,))
        resp.status = falcon.HTTP_204


class Dataplane:
    """`GET /v2.0/minicloud/dataplane`: what each agent has configured, asked over RPC."""

    def __init__(self, neutron: Neutron, transport, tracer=None, timeout: float = 2.0):
        self.neutron = neutron
        self.client = rpc.RPCClient(transport, PLUGIN_TOPIC, service="neutron-server",
                                    tracer=tracer, timeout=timeout) if transport else None

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.neutron.store.rows("agents", order="host, agent_type")
        resp.media = {"agents": [self._ask(req.context.ctx, r) for r in rows]}

    def _ask(self, ctx, row: dict) -> dict:
        entry = {"host": row["host"], "agent_type": row["agent_type"],
                 "binary": row["binary"], "alive": alive(self.neutron, row),
                 "dataplane": None, "error": None}
        topic = AGENT_TOPICS.get(row["agent_type"])
        if self.client is None or topic is None or not entry["alive"]:
            entry["error"] = "agent is not alive" if not entry["alive"] else "not reachable"
            return entry
        try:
            entry["dataplane"] = self.client.prepare(topic=topic, server=row["host"]).call(
                ctx, "get_dataplane")
        except rpc.RPCError as exc:
            entry["error"] = str(exc)
        return entry
