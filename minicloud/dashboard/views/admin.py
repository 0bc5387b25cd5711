"""Admin (admin only): hypervisors, the compute services, the network agents and the
block storage services (Horizon's System Information), and every project's instances."""

from __future__ import annotations

from minicloud.dashboard import client
from minicloud.dashboard.views.base import Panel, addresses


class Hypervisors(Panel):
    def on_get(self, req, resp):
        hypervisors = self.api(req).get("compute", "/os-hypervisors/detail")["hypervisors"]
        self.render(req, resp, "admin_hypervisors.html", title="All Hypervisors",
                    hypervisors=hypervisors)


class Services(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        compute = api.get("compute", "/os-services")["services"]
        agents = api.get("network", "/v2.0/agents")["agents"]
        try:
            volume = api.get("block-storage", "/os-services")["services"]
        except client.ApiError as exc:
            req.context.errors.append(("error", f"Unable to get block storage services: {exc.message}"))
            volume = []
        self.render(req, resp, "admin_services.html", title="System Information",
                    compute=compute, agents=agents, volume=volume)


class Instances(Panel):
    def on_get(self, req, resp):
        servers = self.api(req).get("compute", "/servers/detail",
                                    params={"all_tenants": "1"})["servers"]
        for s in servers:
            s["ips"] = addresses(s)
        self.render(req, resp, "admin_instances.html", title="All Instances", servers=servers)
