"""The Neutron "core plugin": the state every resource module works on (store, config,
the notifier that tells agents, the RPC client that asks them, the notifier that tells
Nova, the clock), and the rules they share: who may see what, the NeutronError types,
quotas, and each project's `default` security group.

Resource modules (networks.py, ports.py, ...) hold the logic as plain functions of a
`Neutron` and a RequestContext, so bootstrap and tests call the same code as the API.
"""

from __future__ import annotations

import time

import falcon

from minicloud.common import errors, rpc
from minicloud.network.topics import PLUGIN_TOPIC
from minicloud.network.store import NetworkStore, new_id

QUOTA_DEFAULTS = {"network": 100, "subnet": 100, "port": 500, "router": 10,
                  "floatingip": 50, "security_group": 10, "security_group_rule": 100}


class ServiceUnavailable(errors.ApiError):
    status, title, kind = falcon.HTTP_503, "Service Unavailable", "ServiceUnavailable"


def not_found(noun: str, ident: str) -> errors.NotFound:
    """`NetworkNotFound: Network x could not be found.` and the like."""
    kind = "".join(word[0].upper() + word[1:] for word in noun.split()) + "NotFound"
    return errors.NotFound(f"{noun[0].upper() + noun[1:]} {ident} could not be found.",
                           kind=kind)


def bad_request(message: str, kind: str = "InvalidInput") -> errors.BadRequest:
    return errors.BadRequest(message, kind=kind)


def forbidden(action: str) -> errors.Forbidden:
    return errors.Forbidden(f"({action}) is disallowed by policy", kind="PolicyNotAuthorized")


def conflict(message: str, kind: str) -> errors.Conflict:
    return errors.Conflict(message, kind=kind)


class Neutron:
    """neutron-server's shared state. `notify` tells the agents (notifier.py); `agents_rpc`
    asks them (None without a message bus); `nova_notifier` tells Nova about servers'
    ports (None when Neutron runs without Nova); `transport` and `tracer` serve the RPC
    servers agents call (rpc_callbacks.py)."""

    def __init__(self, config, store: NetworkStore, notifier, clock=time.time, *,
                 transport: rpc.Transport | None = None, tracer=None, nova_notifier=None):
        self.config = config
        self.store = store
        self.notify = notifier
        self.clock = clock
        self.transport, self.tracer = transport, tracer
        self.nova_notifier = nova_notifier
        self.agents_rpc = (rpc.RPCClient(transport, PLUGIN_TOPIC, service="neutron-server",
                                         tracer=tracer, timeout=config.rpc_quick_timeout)
                           if transport else None)

    # -- who sees what ----------------------------------------------------------------------
    @staticmethod
    def owns(ctx, row: dict) -> bool:
        return ctx.is_admin or row["project_id"] == ctx.project_id

    def network(self, ctx, network_id: str) -> dict:
        """A network the caller may see: its own, a shared or an external one."""
        net = self.store.get("networks", network_id)
        if net is None or not (self.owns(ctx, net) or net["shared"] or net["external"]):
            raise not_found("network", network_id)
        return net

    def subnet(self, ctx, subnet_id: str) -> dict:
        sub = self.store.get("subnets", subnet_id)
        if sub is None:
            raise not_found("subnet", subnet_id)
        try:
            self.network(ctx, sub["network_id"])
        except errors.NotFound:
            raise not_found("subnet", subnet_id) from None
        return sub

    def port(self, ctx, port_id: str) -> dict:
        """A port the caller owns, or one on a network the caller owns."""
        port = self.store.get("ports", port_id)
        if port is None or not (self.owns(ctx, port) or self._owns_network(ctx, port)):
            raise not_found("port", port_id)
        return port

    def _owns_network(self, ctx, port: dict) -> bool:
        net = self.store.get("networks", port["network_id"])
        return net is not None and net["project_id"] == ctx.project_id

    def owned(self, ctx, table: str, noun: str, ident: str) -> dict:
        """A router, floating IP, security group (rule) of the caller's project."""
        row = self.store.get(table, ident)
        if row is None or not self.owns(ctx, row):
            raise not_found(noun, ident)
        return row

    def visible(self, ctx, rows: list[dict]) -> list[dict]:
        """Rows of the caller's project (every row for an admin)."""
        return rows if ctx.is_admin else [r for r in rows if r["project_id"] == ctx.project_id]

    @staticmethod
    def project_of(ctx, fields: dict) -> str:
        """The project a new resource belongs to: the caller's, or the one an admin names."""
        wanted = fields.get("project_id") or fields.get("tenant_id")
        if wanted and wanted != ctx.project_id and not ctx.is_admin:
            raise forbidden("create with another project_id")
        return wanted or ctx.project_id

    # -- quotas -----------------------------------------------------------------------------
    def default_quota(self, resource: str) -> int:
        """The cloud's default: `Config.network_quotas`, else Neutron's."""
        return int(self.config.network_quotas.get(resource, QUOTA_DEFAULTS[resource]))

    def quota_limit(self, project_id: str, resource: str) -> int:
        """The limit an admin set for the project, else the cloud's default."""
        limit = self.store.quota_limit(project_id, resource)
        return self.default_quota(resource) if limit is None else limit

    def usage(self, project_id: str, resource: str) -> int:
        return self.store.usage(project_id, resource)

    def check_quota(self, project_id: str, resource: str, wanted: int = 1) -> None:
        """Call inside the transaction that inserts, so two creates cannot both squeeze in."""
        limit = self.quota_limit(project_id, resource)
        if limit >= 0 and self.usage(project_id, resource) + wanted > limit:
            raise conflict(f"Quota exceeded for resources: ['{resource}'].", "OverQuota")

    # -- the default security group ---------------------------------------------------------
    def default_security_group(self, project_id: str) -> dict:
        """The project's `default` group, created with Neutron's four rules on first use."""
        found = self.store.named("security_groups", "default", project_id)
        if found or not project_id:
            return found
        with self.store.transaction():
            found = self.store.named("security_groups", "default", project_id)
            if found:
                return found
            group = self.store.insert("security_groups", {
                "id": new_id(), "name": "default", "project_id": project_id,
                "description": "Default security group"})
            for direction, ethertype in (("egress", "IPv4"), ("egress", "IPv6"),
                                         ("ingress", "IPv4"), ("ingress", "IPv6")):
                self.store.insert("security_group_rules", {
                    "id": new_id(), "project_id": project_id, "security_group_id": group["id"],
                    "direction": direction, "ethertype": ethertype,
                    "remote_group_id": group["id"] if direction == "ingress" else None})
            return group
