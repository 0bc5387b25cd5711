"""`/servers/{id}/os-interface`: the server's ports, and attaching and detaching them
(`openstack port list --server vm1`, `server add port|add network|remove port|remove
network`).

List and show ask Neutron for the ports whose device is the server. Attach: nova-api
checks the port or network with the caller's token, then CALLS `attach_interface` on the
server's compute host (a call, as in Nova: the answer carries the new interface), which
creates the port (for a network) or takes the given one, binds it to itself through
Neutron's REST API like at boot (device_id, device_owner `compute:nova`,
binding:host_id), plugs it into the guest and reports the new network info to the
conductor. Detach casts `detach_interface`: the host unplugs it, deletes a port Nova made
and gives back (unbinds) one the user brought.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, rpc
from minicloud.common.validation import read_json
from minicloud.common.clients import ServiceError
from minicloud.compute.locking import check_unlocked
from minicloud.compute.microversions import at_least
from minicloud.compute.servers import _auto_network
from minicloud.compute.states import check_state

ATTACH = {"type": "object", "required": ["interfaceAttachment"], "properties": {
    "interfaceAttachment": {"type": "object", "properties": {
        "net_id": {"type": "string", "minLength": 1},
        "port_id": {"type": "string", "minLength": 1},
        "fixed_ips": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "required": ["ip_address"],
            "properties": {"ip_address": {"type": "string"}}, "additionalProperties": False}},
        "tag": {"type": "string", "minLength": 1, "maxLength": 60}},
        "additionalProperties": False}}, "additionalProperties": False}
ATTACHABLE = ("active", "paused", "stopped")


def view(req, port: dict, tag: str | None = None) -> dict:
    body = {"port_state": port.get("status"), "port_id": port["id"],
            "net_id": port["network_id"], "mac_addr": port.get("mac_address"),
            "fixed_ips": [{"subnet_id": ip.get("subnet_id"), "ip_address": ip.get("ip_address")}
                          for ip in port.get("fixed_ips") or []]}
    if at_least(req, "2.70"):
        body["tag"] = tag
    return body


def _vif(instance: dict, port_id: str) -> dict:
    for vif in instance["network_info"]:
        if vif["port_id"] == port_id:
            return vif
    raise errors.NotFound(f"Port {port_id} is not attached to instance {instance['id']}.")


def _neutron_error(exc: ServiceError, kind: str, ident: str) -> errors.ApiError:
    if exc.status == 404:
        return errors.NotFound(f"{kind} {ident} could not be found.")
    return errors.ApiError(f"Neutron answered {exc.status}: {exc}")


class Interfaces:
    def __init__(self, api):
        self.api = api

    def on_get(self, req, resp, server_id):
        instance = self.api.instance(req, server_id)
        tags = {v["port_id"]: v.get("tag") for v in instance["network_info"]}
        try:
            ports = self.api.networks.ports(device_id=instance["id"])
        except ServiceError as exc:
            raise errors.ApiError(f"Neutron answered {exc.status}: {exc}") from None
        resp.media = {"interfaceAttachments": [view(req, p, tags.get(p["id"])) for p in ports]}

    def on_post(self, req, resp, server_id):
        api, ctx = self.api, req.context.ctx
        spec = read_json(req, ATTACH)["interfaceAttachment"]
        instance = api.instance(req, server_id)
        check_unlocked(ctx, instance)
        check_state(instance, "attach_interface", ATTACHABLE)
        if not instance["host"]:
            raise errors.Conflict(f"Cannot 'attach_interface' instance {server_id}: no host")
        if "tag" in spec and not at_least(req, "2.49"):
            raise errors.BadRequest("Invalid input for field/attribute interfaceAttachment. "
                                    "Additional properties are not allowed ('tag' was "
                                    "unexpected)")
        request = self._request(ctx, spec)
        api.store.start_action(ctx, server_id, "attach_interface")
        try:
            port = api.compute.prepare(server=instance["host"]).call(
                ctx, "attach_interface", instance=instance, request=request)
        except rpc.RemoteError as exc:
            raise errors.BadRequest(f"Failed to attach network adapter device to "
                                    f"{server_id}: {exc.value}") from None
        except rpc.RPCError as exc:
            raise errors.ApiError(f"Compute host {instance['host']} did not answer: {exc}")
        resp.media = {"interfaceAttachment": view(req, port, spec.get("tag"))}

    def _request(self, ctx, spec: dict) -> dict:
        """What the host is to attach, checked with the caller's token."""
        api = self.api
        if spec.get("port_id") and spec.get("net_id"):
            raise errors.BadRequest("Must not input both network_id and port_id")
        if spec.get("fixed_ips") and not spec.get("net_id"):
            raise errors.BadRequest("Must input network_id when request IP address")
        if spec.get("port_id"):
            try:
                port = api.networks.port(spec["port_id"], token=ctx.auth_token)
            except ServiceError as exc:
                raise _neutron_error(exc, "Port", spec["port_id"]) from None
            if port.get("device_id"):
                raise errors.Conflict(f"Port {port['id']} is still in use.")
            return {"port": port["id"], "tag": spec.get("tag")}
        net_id = spec.get("net_id") or _auto_network(api, ctx)
        try:
            api.networks.network(net_id, token=ctx.auth_token)
        except ServiceError as exc:
            raise _neutron_error(exc, "Network", net_id) from None
        fixed = (spec.get("fixed_ips") or [{}])[0].get("ip_address")
        return {"uuid": net_id, "fixed_ip": fixed, "tag": spec.get("tag")}


class Interface:
    def __init__(self, api):
        self.api = api

    def on_get(self, req, resp, server_id, port_id):
        instance = self.api.instance(req, server_id)
        vif = _vif(instance, port_id)
        try:
            port = self.api.networks.port(port_id)
        except ServiceError as exc:
            raise _neutron_error(exc, "Port", port_id) from None
        resp.media = {"interfaceAttachment": view(req, port, vif.get("tag"))}

    def on_delete(self, req, resp, server_id, port_id):
        api, ctx = self.api, req.context.ctx
        instance = api.instance(req, server_id)
        check_unlocked(ctx, instance)
        check_state(instance, "detach_interface", ATTACHABLE)
        _vif(instance, port_id)
        api.store.start_action(ctx, server_id, "detach_interface")
        api.cast_to_host(ctx, instance, "detach_interface", port_id=port_id)
        resp.status = falcon.HTTP_202
