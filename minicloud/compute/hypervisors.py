"""`/os-hypervisors`: the compute nodes and what they hold (`openstack hypervisor list`).

Admin only. Ids are integers before 2.53 and UUIDs from 2.53; the resource counters
(vcpus, memory_mb, ...) are shown before 2.88 only, as in Nova (newer clients read them
from Placement).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.compute.microversions import at_least
from minicloud.compute.core import Nova


def view(req, api: Nova, node: dict, service: dict | None, used: dict, detail: bool,
         servers: list | None = None) -> dict:
    uuids = at_least(req, "2.53")
    up = api.service_up(node["host"])
    body = {"id": node["uuid"] if uuids else node["id"],
            "hypervisor_hostname": node["host"], "state": "up" if up else "down",
            "status": "disabled" if service and service["disabled"] else "enabled"}
    if detail:
        body.update({"hypervisor_type": node["hypervisor_type"], "hypervisor_version": 1000,
                     "host_ip": node["host_ip"],
                     "service": {"host": node["host"], "id": (service or {}).get(
                         "uuid" if uuids else "id"),
                         "disabled_reason": (service or {}).get("disabled_reason")}})
        if at_least(req, "2.88"):
            body["uptime"] = None
        else:
            u = used.get(node["host"]) or {}
            vcpus_used, ram_used = u.get("vcpus") or 0, u.get("memory_mb") or 0
            disk_used = u.get("disk_gb") or 0
            body.update({
                "vcpus": node["vcpus"], "memory_mb": node["memory_mb"],
                "local_gb": node["local_gb"], "vcpus_used": vcpus_used,
                "memory_mb_used": ram_used, "local_gb_used": disk_used,
                "free_ram_mb": node["memory_mb"] - ram_used,
                "free_disk_gb": node["local_gb"] - disk_used, "current_workload": 0,
                "running_vms": u.get("instances") or 0, "disk_available_least": None,
                "cpu_info": '{"arch": "x86_64", "model": "fake", "vendor": "minicloud"}'})
    if servers is not None:
        body["servers"] = servers
    return body


class Hypervisors:
    def __init__(self, api: Nova, detail: bool = False):
        self.api, self.detail = api, detail

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        services = {s["host"]: s for s in self.api.store.services()
                    if s["binary"] == "nova-compute"}
        used = self.api.store.used()
        pattern = req.get_param("hypervisor_hostname_pattern")
        nodes = [n for n in self.api.store.compute_nodes()
                 if not pattern or pattern in n["host"]]
        with_servers = req.get_param_as_bool("with_servers")
        body = []
        for node in nodes:
            servers = None
            if with_servers:
                servers = [{"uuid": i["id"], "name": i["name"]} for i in
                           self.api.store.instances(host=node["host"])]
            body.append(view(req, self.api, node, services.get(node["host"]), used,
                             self.detail, servers))
        resp.media = {"hypervisors": body}


class Hypervisor:
    def __init__(self, api: Nova):
        self.api = api

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, hypervisor_id):
        nodes = [n for n in self.api.store.compute_nodes()
                 if hypervisor_id in (str(n["id"]), n["uuid"])]
        if not nodes:
            raise errors.NotFound(f"Hypervisor with ID {hypervisor_id} could not be found.")
        node = nodes[0]
        services = {s["host"]: s for s in self.api.store.services()
                    if s["binary"] == "nova-compute"}
        resp.media = {"hypervisor": view(req, self.api, node, services.get(node["host"]),
                                         self.api.store.used(), True)}


class HypervisorStatistics:
    def __init__(self, api: Nova):
        self.api = api

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        nodes, used = self.api.store.compute_nodes(), self.api.store.used()
        total = lambda key: sum(n[key] for n in nodes)  # noqa: E731
        in_use = lambda key: sum((u.get(key) or 0) for u in used.values())  # noqa: E731
        resp.media = {"hypervisor_statistics": {
            "count": len(nodes), "vcpus": total("vcpus"), "memory_mb": total("memory_mb"),
            "local_gb": total("local_gb"), "vcpus_used": in_use("vcpus"),
            "memory_mb_used": in_use("memory_mb"), "local_gb_used": in_use("disk_gb"),
            "free_ram_mb": total("memory_mb") - in_use("memory_mb"),
            "free_disk_gb": total("local_gb") - in_use("disk_gb"), "current_workload": 0,
            "running_vms": in_use("instances"), "disk_available_least": 0}}
