"""Project > Network: Networks and subnets, Routers (gateway, interfaces), Security Groups
and rules, Floating IPs (allocate, associate, release). Neutron's v2.0 API."""

from __future__ import annotations

from urllib.parse import quote

from minicloud.dashboard import forms
from minicloud.dashboard.app import redirect
from minicloud.dashboard.views.base import Panel, by_id, choices


def _external(api) -> list:
    return api.get("network", "/v2.0/networks", params={"router:external": "true"})["networks"]


class Networks(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        networks = api.get("network", "/v2.0/networks")["networks"]
        subnets = by_id(api.get("network", "/v2.0/subnets")["subnets"])
        for n in networks:
            n["subnet_rows"] = [subnets[s] for s in n.get("subnets", []) if s in subnets]
        self.render(req, resp, "networks.html", title="Networks", networks=networks)

    def on_post(self, req, resp):
        """Create Network, and its subnet when a CIDR is given (two POSTs, as Horizon's
        workflow sends them)."""
        form, api = req.context.form, self.api(req)
        name = forms.text(form, "name")
        network = api.post("network", "/v2.0/networks", {"network": {"name": name}})["network"]
        cidr = forms.text(form, "cidr")
        if cidr:
            api.post("network", "/v2.0/subnets", {"subnet": {
                "network_id": network["id"], "name": forms.text(form, "subnet_name") or f"{name}-subnet",
                "cidr": cidr, "ip_version": 4}})
        req.context.session.flash("success", f"Network {name} was created.")
        raise redirect("/project/networks")


class Network(Panel):
    def on_get(self, req, resp, network_id):
        api = self.api(req)
        network = api.get("network", f"/v2.0/networks/{quote(network_id)}")["network"]
        subnets = api.get("network", "/v2.0/subnets", params={"network_id": network_id})["subnets"]
        ports = api.get("network", "/v2.0/ports", params={"network_id": network_id})["ports"]
        self.render(req, resp, "network.html", title=f"Network: {network.get('name')}",
                    network=network, subnets=subnets, ports=ports)

    def on_post(self, req, resp, network_id):
        self.act(req, "/project/networks", network_id=network_id)

    def do_delete(self, req, form, network_id):
        self.api(req).delete("network", f"/v2.0/networks/{quote(network_id)}")
        return "Network deleted."

    def do_create_subnet(self, req, form, network_id):
        self.api(req).post("network", "/v2.0/subnets", {"subnet": {
            "network_id": network_id, "name": forms.text(form, "name"),
            "cidr": forms.text(form, "cidr"), "ip_version": 4}})
        return "Subnet created."

    def do_delete_subnet(self, req, form, network_id):
        self.api(req).delete("network", f"/v2.0/subnets/{quote(forms.text(form, 'subnet_id'))}")
        return "Subnet deleted."


class Routers(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        routers = api.get("network", "/v2.0/routers")["routers"]
        externals = _external(api)
        names = {n["id"]: n["name"] for n in externals}
        self.render(req, resp, "routers.html", title="Routers", routers=routers,
                    externals=[("", "(none)")] + choices(externals), external_names=names)

    def on_post(self, req, resp):
        form = req.context.form
        router = {"name": forms.text(form, "name")}
        if forms.text(form, "external_network"):
            router["external_gateway_info"] = {"network_id": forms.text(form, "external_network")}
        self.api(req).post("network", "/v2.0/routers", {"router": router})
        req.context.session.flash("success", f"Router {router['name']} was created.")
        raise redirect("/project/routers")


class Router(Panel):
    def on_get(self, req, resp, router_id):
        api = self.api(req)
        router = api.get("network", f"/v2.0/routers/{quote(router_id)}")["router"]
        ports = api.get("network", "/v2.0/ports", params={"device_id": router_id})["ports"]
        subnets = api.get("network", "/v2.0/subnets")["subnets"]
        externals = _external(api)
        self.render(req, resp, "router.html", title=f"Router: {router.get('name')}",
                    router=router, ports=ports, subnet_names={s["id"]: s for s in subnets},
                    subnets=[(s["id"], f"{s['name'] or s['id']} ({s['cidr']})") for s in subnets
                             if s["network_id"] not in {n["id"] for n in externals}],
                    externals=choices(externals))

    def on_post(self, req, resp, router_id):
        self.act(req, f"/project/routers/{router_id}", router_id=router_id)

    def _put(self, req, router_id, body):
        self.api(req).put("network", f"/v2.0/routers/{quote(router_id)}", {"router": body})

    def do_add_interface(self, req, form, router_id):
        self.api(req).put("network", f"/v2.0/routers/{quote(router_id)}/add_router_interface",
                          {"subnet_id": forms.text(form, "subnet_id")})
        return "Interface added."

    def do_remove_interface(self, req, form, router_id):
        self.api(req).put("network", f"/v2.0/routers/{quote(router_id)}/remove_router_interface",
                          {"port_id": forms.text(form, "port_id")})
        return "Interface removed."

    def do_set_gateway(self, req, form, router_id):
        self._put(req, router_id, {"external_gateway_info": {
            "network_id": forms.text(form, "network_id")}})
        return "Gateway set."

    def do_clear_gateway(self, req, form, router_id):
        self._put(req, router_id, {"external_gateway_info": {}})
        return "Gateway cleared."

    def do_delete(self, req, form, router_id):
        self.api(req).delete("network", f"/v2.0/routers/{quote(router_id)}")
        return "Router deleted."


class SecurityGroups(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        groups = api.get("network", "/v2.0/security-groups",
                         params={"project_id": api.project_id})["security_groups"]
        self.render(req, resp, "security_groups.html", title="Security Groups", groups=groups)

    def on_post(self, req, resp):
        form = req.context.form
        self.api(req).post("network", "/v2.0/security-groups", {"security_group": {
            "name": forms.text(form, "name"), "description": forms.text(form, "description")}})
        req.context.session.flash("success", f"Security group {forms.text(form, 'name')} was created.")
        raise redirect("/project/security_groups")


class SecurityGroup(Panel):
    def on_get(self, req, resp, group_id):
        group = self.api(req).get("network", f"/v2.0/security-groups/{quote(group_id)}")["security_group"]
        self.render(req, resp, "security_group.html",
                    title=f"Manage Security Group Rules: {group.get('name')}", group=group)

    def on_post(self, req, resp, group_id):
        self.act(req, f"/project/security_groups/{group_id}", group_id=group_id)

    def do_add_rule(self, req, form, group_id):
        rule = {"security_group_id": group_id, "direction": forms.text(form, "direction") or "ingress",
                "ethertype": "IPv4"}
        protocol = forms.text(form, "protocol")
        if protocol:
            rule["protocol"] = protocol
        port = forms.text(form, "port")
        if port and protocol in ("tcp", "udp"):
            rule["port_range_min"] = rule["port_range_max"] = int(port) if port.isdigit() else port
        if forms.text(form, "remote_ip_prefix"):
            rule["remote_ip_prefix"] = forms.text(form, "remote_ip_prefix")
        self.api(req).post("network", "/v2.0/security-group-rules", {"security_group_rule": rule})
        return "Rule added."

    def do_delete_rule(self, req, form, group_id):
        self.api(req).delete("network", f"/v2.0/security-group-rules/{quote(forms.text(form, 'rule_id'))}")
        return "Rule deleted."

    def do_delete(self, req, form, group_id):
        self.api(req).delete("network", f"/v2.0/security-groups/{quote(group_id)}")
        form["next"] = "/project/security_groups"
        return "Security group deleted."


class FloatingIPs(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        fips = api.get("network", "/v2.0/floatingips")["floatingips"]
        externals = _external(api)
        ports = [p for p in api.get("network", "/v2.0/ports")["ports"]
                 if (p.get("device_owner") or "").startswith("compute:")]
        servers = {s["id"]: s["name"] for s in api.get("compute", "/servers")["servers"]} if ports else {}
        targets = [(p["id"], f"{servers.get(p['device_id'], p['device_id'])}: "
                             f"{', '.join(ip['ip_address'] for ip in p.get('fixed_ips', []))}")
                   for p in ports]
        port_names = dict(targets)
        self.render(req, resp, "floating_ips.html", title="Floating IPs", fips=fips,
                    pools=choices(externals), targets=targets, port_names=port_names)

    def on_post(self, req, resp):
        """Allocate IP To Project."""
        self.api(req).post("network", "/v2.0/floatingips", {"floatingip": {
            "floating_network_id": forms.text(req.context.form, "pool")}})
        req.context.session.flash("success", "Floating IP allocated.")
        raise redirect("/project/floating_ips")


class FloatingIP(Panel):
    def on_post(self, req, resp, fip_id):
        self.act(req, "/project/floating_ips", fip_id=fip_id)

    def _put(self, req, fip_id, port_id):
        self.api(req).put("network", f"/v2.0/floatingips/{quote(fip_id)}",
                          {"floatingip": {"port_id": port_id}})

    def do_associate(self, req, form, fip_id):
        self._put(req, fip_id, forms.text(form, "port_id"))
        return "Floating IP associated."

    def do_disassociate(self, req, form, fip_id):
        self._put(req, fip_id, None)
        return "Floating IP disassociated."

    def do_release(self, req, form, fip_id):
        self.api(req).delete("network", f"/v2.0/floatingips/{quote(fip_id)}")
        return "Floating IP released."
