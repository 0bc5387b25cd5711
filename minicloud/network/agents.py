"""`/v2.0/agents` (`openstack network agent list|show|set|delete`) and minicloud's own
`/v2.0/minicloud/dataplane`: the agents as neutron-server's API shows them.

The rows come from the agents' heartbeats (`report_state`, received in rpc_callbacks.py);
an agent whose last heartbeat is older than `agent_down_time` is shown dead (`XXX`).
`GET /v2.0/minicloud/dataplane` (admin) asks every live agent over RPC what it has
configured, waiting at most `rpc_quick_timeout` for each; `minicloud agents` prints it.
"""

from __future__ import annotations

import datetime
import json

import falcon

from minicloud.common import policy, rpc, servicegroup
from minicloud.common.validation import read_json
from minicloud.network import schemas, views
from minicloud.network.core import Neutron, not_found
from minicloud.network.topics import BRIDGE_TOPIC, DHCP_TOPIC, L3_TOPIC

AGENT_TOPICS = {"L3 agent": L3_TOPIC, "DHCP agent": DHCP_TOPIC,
                "Linux bridge agent": BRIDGE_TOPIC}


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


class Agents:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.neutron.store.agents()
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
        self.neutron.store.update_agent(agent_id, changes)
        resp.media = {"agent": view(self.neutron, self._find(agent_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, agent_id):
        self._find(agent_id)
        self.neutron.store.delete_agent(agent_id)
        resp.status = falcon.HTTP_204


class Dataplane:
    """`GET /v2.0/minicloud/dataplane`: what each agent has configured, asked over RPC."""

    def __init__(self, neutron: Neutron):
        self.neutron = neutron
        self.client = neutron.agents_rpc  # None without a message bus

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.neutron.store.agents()
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
