"""How Nova renders servers and flavors, version by version (the view builders).

Every server body carries every field of the contract (§4.2, §10), null when unknown, so
strict schema checks pass; what changes with the microversion is decided here.
"""

from __future__ import annotations

import hashlib

from minicloud.common import errors, wsgi
from minicloud.compute.microversions import at_least
from minicloud.compute.store import isotime

# (vm_state, task_state) -> status, as nova/api/openstack/common.py maps them.
TASK_STATUS = {"rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
               "rebooting_hard": "HARD_REBOOT", "migrating": "MIGRATING",
               "resize_prep": "RESIZE", "resize_migrating": "RESIZE",
               "resize_migrated": "RESIZE", "resize_finish": "RESIZE",
               "resize_reverting": "REVERT_RESIZE", "deleting": "ACTIVE"}
VM_STATUS = {"building": "BUILD", "active": "ACTIVE", "stopped": "SHUTOFF",
             "paused": "PAUSED", "suspended": "SUSPENDED", "resized": "VERIFY_RESIZE",
             "error": "ERROR", "deleted": "DELETED", "shelved": "SHELVED"}


def status(instance: dict) -> str:
    vm, task = instance["vm_state"], instance["task_state"]
    if vm == "active" and task in TASK_STATUS:
        return TASK_STATUS[task]
    if vm in ("stopped", "resized") and task in ("resize_migrating", "resize_prep",
                                                 "resize_reverting"):
        return TASK_STATUS[task]
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
def addresses(instance: dict) -> dict:
    out: dict = {}
    for vif in instance["network_info"]:
        entries = out.setdefault(vif["network_name"], [])
        if vif.get("ip"):
            entries.append({"addr": vif["ip"], "version": 6 if ":" in vif["ip"] else 4,
                            "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": vif["mac"]})
        for fip in vif.get("floating_ips", []):
            entries.append({"addr": fip, "version": 4, "OS-EXT-IPS:type": "floating",
                            "OS-EXT-IPS-MAC:mac_addr": vif["mac"]})
    return out


def host_id(instance: dict) -> str:
    """Nova's hostId: sha224(project + host), so users see co-location but not host names."""
    if not instance["host"]:
        return ""
    return hashlib.sha224((instance["project_id"] + instance["host"]).encode()).hexdigest()


def server_summary(req, instance: dict) -> dict:
    return {"id": instance["id"], "name": instance["name"],
            "links": links(req, "servers", instance["id"])}


def server(req, instance: dict, ctx) -> dict:
    image = ({"id": instance["image_ref"], "links": [links(req, "images",
                                                           instance["image_ref"])[1]]}
             if instance["image_ref"] else "")
    body = {
        **server_summary(req, instance),
        "status": status(instance), "tenant_id": instance["project_id"],
        "user_id": instance["user_id"], "metadata": instance["metadata"],
        "hostId": host_id(instance), "image": image,
        "flavor": embedded_flavor(req, instance["flavor"]),
        "created": isotime(instance["created"]), "updated": isotime(instance["updated"]),
        "addresses": addresses(instance), "accessIPv4": "", "accessIPv6": "",
        "progress": 100 if instance["vm_state"] == "active" else 0,
        "key_name": instance["key_name"], "config_drive": "",
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": instance["availability_zone"] or "",
        "OS-EXT-STS:vm_state": instance["vm_state"],
        "OS-EXT-STS:task_state": instance["task_state"],
        "OS-EXT-STS:power_state": instance["power_state"],
        "OS-SRV-USG:launched_at": _usg(instance["launched_at"]),
        "OS-SRV-USG:terminated_at": _usg(instance["terminated_at"]),
        "os-extended-volumes:volumes_attached": [
            v if at_least(req, "2.3") else {"id": v["id"]}
            for v in instance.get("volumes_attached", [])],
        "security_groups": [{"name": g} for g in instance["security_groups"]],
    }
    if ctx is not None and ctx.is_admin:
        body.update({"OS-EXT-SRV-ATTR:host": instance["host"],
                     "OS-EXT-SRV-ATTR:hypervisor_hostname": instance["node"],
                     "OS-EXT-SRV-ATTR:instance_name": f"instance-{instance['seq']:08x}"})
        if at_least(req, "2.3"):
            body.update({"OS-EXT-SRV-ATTR:reservation_id": f"r-{instance['seq']:08x}",
                         "OS-EXT-SRV-ATTR:launch_index": 0,
                         "OS-EXT-SRV-ATTR:hostname": instance["name"].lower(),
                         "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                         "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                         "OS-EXT-SRV-ATTR:user_data": instance["user_data"]})
    if instance["fault"] and instance["vm_state"] == "error":
        body["fault"] = instance["fault"]
    if at_least(req, "2.9"):
        body["locked"] = bool(instance["locked"])
    if at_least(req, "2.19"):
        body["description"] = instance["description"]
    if at_least(req, "2.26"):
        body["tags"] = []
    if at_least(req, "2.73"):
        body["locked_reason"] = None
    if at_least(req, "2.90"):
        body["OS-EXT-SRV-ATTR:hostname"] = instance["name"].lower()
    if at_least(req, "2.96"):
        body["pinned_availability_zone"] = None
    return body


def _usg(ts):
    text = isotime(ts)
    return text.replace("Z", ".000000") if text else None
