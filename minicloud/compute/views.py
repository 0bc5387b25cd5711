"""How Nova renders servers and flavors, version by version (the view builders).

Every server body carries every field of the contract (§4.2, §10), null when unknown, so
strict schema checks pass; what changes with the microversion is decided here.
"""

from __future__ import annotations

import hashlib

from minicloud.common import errors, wsgi
from minicloud.compute.microversions import at_least
from minicloud.common.timeutils import isotime

# (vm_state, task_state) -> status, as nova/api/openstack/common.py maps them.
TASK_STATUS = {"rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
               "rebooting_hard": "HARD_REBOOT", "migrating": "MIGRATING",
               "resize_prep": "RESIZE", "resize_migrating": "RESIZE",
               "resize_migrated": "RESIZE", "resize_finish": "RESIZE",
               "resize_reverting": "REVERT_RESIZE", "deleting": "ACTIVE",
               "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
               "rebuild_spawning": "REBUILD"}
REBUILD_TASKS = ("rebuilding", "rebuild_block_device_mapping", "rebuild_spawning")
VM_STATUS = {"building": "BUILD", "active": "ACTIVE", "stopped": "SHUTOFF",
             "paused": "PAUSED", "suspended": "SUSPENDED", "resized": "VERIFY_RESIZE",
             "error": "ERROR", "deleted": "DELETED", "shelved": "SHELVED",
             "shelved_offloaded": "SHELVED_OFFLOADED"}


def status(instance: dict) -> str:
    vm, task = instance["vm_state"], instance["task_state"]
    if vm == "active" and task in TASK_STATUS:
        return TASK_STATUS[task]
    if vm in ("stopped", "resized") and task in ("resize_migrating", "resize_prep",
                                                 "resize_migrated", "resize_finish",
                                                 "resize_reverting"):
        return TASK_STATUS[task]
    if vm in ("stopped", "error") and task in REBUILD_TASKS:
        return "REBUILD"
    return VM_STATUS.get(vm, "UNKNOWN")


def root(req) -> str:
    return f"{wsgi.base_url(req)}/v2.1"


def links(req, collection: str, ident: str) -> list[dict]:
    return [{"rel": "self", "href": f"{root(req)}/{collection}/{ident}"},
            {"rel": "bookmark", "href": f"{wsgi.base_url(req)}/{collection}/{ident}"}]


def must_exist(record, kind: str, ident: str):
    if record is None:
        raise errors.NotFound(f"{kind} {ident} could not be found.")
    return record


# -- flavors ----------------------------------------------------------------------------
def flavor(req, row: dict, detail: bool = True) -> dict:
    body = {"id": row["id"], "name": row["name"], "links": links(req, "flavors", row["id"])}
    if not detail:
        if at_least(req, "2.55"):
            body["description"] = row["description"]
        return body
    body.update({
        "ram": row["ram"], "disk": row["disk"], "vcpus": row["vcpus"],
        "OS-FLV-EXT-DATA:ephemeral": row["ephemeral"],
        "swap": row["swap"] if at_least(req, "2.75") or row["swap"] else "",
        "rxtx_factor": row["rxtx_factor"], "os-flavor-access:is_public": bool(row["is_public"]),
        "OS-FLV-DISABLED:disabled": bool(row["disabled"])})
    if at_least(req, "2.55"):
        body["description"] = row["description"]
    if at_least(req, "2.61"):
        body["extra_specs"] = row["extra_specs"]
    return body


def embedded_flavor(req, flavor_record: dict) -> dict:
    """The server's `flavor`: a link before 2.47, a copy of the flavor from 2.47."""
    if not at_least(req, "2.47"):
        return {"id": flavor_record["id"], "links": [links(req, "flavors",
                                                           flavor_record["id"])[1]]}
    return {"vcpus": flavor_record["vcpus"], "ram": flavor_record["ram"],
            "disk": flavor_record["disk"], "ephemeral": flavor_record.get("ephemeral", 0),
            "swap": flavor_record.get("swap", 0), "original_name": flavor_record["name"],
            "extra_specs": flavor_record.get("extra_specs") or {}}


# -- servers ----------------------------------------------------------------------------
PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")
FAULT_STATUSES = ("ERROR", "DELETED")


def addresses(instance: dict, extended: bool = True) -> dict:
    """`{network name: [{addr, version, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}]}` from
    the instance's network info cache; empty while the server builds, as in Nova. Without
    `extended` (the ips API, PUT before 2.75) only `addr` and `version`."""
    out: dict = {}
    if instance["vm_state"] == "building":
        return out
    for vif in instance["network_info"]:
        entries = out.setdefault(vif["network_name"], [])
        fixed = [vif["ip"]] if vif.get("ip") else []
        for kind, addrs in (("fixed", fixed), ("floating", vif.get("floating_ips", []))):
            for addr in addrs:
                entry = {"addr": addr, "version": 6 if ":" in addr else 4}
                if extended:
                    entry.update({"OS-EXT-IPS:type": kind,
                                  "OS-EXT-IPS-MAC:mac_addr": vif["mac"]})
                entries.append(entry)
    return out


def host_id(instance: dict) -> str:
    """Nova's hostId: sha224(project + host), so users see co-location but not host names."""
    if not instance["host"]:
        return ""
    return hashlib.sha224((instance["project_id"] + instance["host"]).encode()).hexdigest()


def hostname(instance: dict) -> str:
    return instance.get("hostname") or instance["name"].lower()


def server_summary(req, instance: dict) -> dict:
    return {"id": instance["id"], "name": instance["name"],
            "links": links(req, "servers", instance["id"])}


def _image(req, instance: dict):
    if not instance["image_ref"]:
        return ""  # booted from a volume
    return {"id": instance["image_ref"],
            "links": [links(req, "images", instance["image_ref"])[1]]}


def _base(req, instance: dict, full: bool) -> dict:
    """What every server body has, the small update answer (< 2.75) included."""
    body = {
        **server_summary(req, instance),
        "status": status(instance), "tenant_id": instance["project_id"],
        "user_id": instance["user_id"], "metadata": instance["metadata"],
        "hostId": host_id(instance), "image": _image(req, instance),
        "flavor": embedded_flavor(req, instance["flavor"]),
        "created": isotime(instance["created"]), "updated": isotime(instance["updated"]),
        "addresses": addresses(instance, extended=full),
        "accessIPv4": instance.get("access_ip_v4") or "",
        "accessIPv6": instance.get("access_ip_v6") or "",
        "OS-DCF:diskConfig": "MANUAL"}
    if instance["fault"] and body["status"] in FAULT_STATUSES:
        body["fault"] = instance["fault"]
    if body["status"] in PROGRESS_STATUSES:
        body["progress"] = 100 if instance["vm_state"] == "active" else 0
    return body


def _full(req, instance: dict) -> dict:
    """What GET adds (and PUT from 2.75): zone, key, usage, groups, states, volumes."""
    return {
        "key_name": instance["key_name"], "config_drive": "",
        "OS-EXT-AZ:availability_zone": instance["availability_zone"] or "",
        "OS-EXT-STS:vm_state": instance["vm_state"],
        "OS-EXT-STS:task_state": instance["task_state"],
        "OS-EXT-STS:power_state": instance["power_state"],
        "OS-SRV-USG:launched_at": _usg(instance["launched_at"]),
        "OS-SRV-USG:terminated_at": _usg(instance["terminated_at"]),
        "os-extended-volumes:volumes_attached": [
            v if at_least(req, "2.3") else {"id": v["id"]}
            for v in instance.get("volumes_attached", [])],
        "security_groups": [{"name": g} for g in instance["security_groups"]]}


def _admin_attributes(req, instance: dict) -> dict:
    """The OS-EXT-SRV-ATTR keys an admin sees (Nova's extended server attributes)."""
    body = {"OS-EXT-SRV-ATTR:host": instance["host"],
            "OS-EXT-SRV-ATTR:hypervisor_hostname": instance["node"],
            "OS-EXT-SRV-ATTR:instance_name": f"instance-{instance['seq']:08x}"}
    if at_least(req, "2.3"):
        body.update({"OS-EXT-SRV-ATTR:reservation_id": f"r-{instance['seq']:08x}",
                     "OS-EXT-SRV-ATTR:launch_index": 0,
                     "OS-EXT-SRV-ATTR:hostname": hostname(instance),
                     "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                     "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                     "OS-EXT-SRV-ATTR:user_data": instance["user_data"]})
    return body


def server(req, instance: dict, ctx, *, full: bool = True, server_groups: bool = False,
           host_status: str | None = None) -> dict:
    """A server as GET /servers/{id} and /servers/detail show it (`full`), or as PUT
    answers before 2.75 (not `full`). `server_groups`: show and PUT list them from 2.71,
    the detail list never does. `host_status` (2.16, admins, full views): UP, DOWN,
    MAINTENANCE, UNKNOWN or "" without a host."""
    body = _base(req, instance, full)
    admin = ctx is not None and ctx.is_admin
    if full:
        body.update(_full(req, instance))
        if admin:
            body.update(_admin_attributes(req, instance))
    if at_least(req, "2.9"):
        body["locked"] = bool(instance["locked"])
    if full and admin and at_least(req, "2.16") and host_status is not None:
        body["host_status"] = host_status
    if at_least(req, "2.19"):
        body["description"] = instance["description"]
    if at_least(req, "2.26"):
        body["tags"] = []
    if at_least(req, "2.63"):
        body["trusted_image_certificates"] = None
    if server_groups and at_least(req, "2.71"):
        body["server_groups"] = []
    if at_least(req, "2.73"):
        body["locked_reason"] = instance.get("locked_reason")
    if at_least(req, "2.90") and full:
        body["OS-EXT-SRV-ATTR:hostname"] = hostname(instance)
    if at_least(req, "2.96") and full:
        body["pinned_availability_zone"] = None
    return body


def _usg(ts):
    text = isotime(ts)
    return text.replace("Z", ".000000") if text else None
