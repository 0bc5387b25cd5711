"""First start of Neutron, as DevStack does it: the external network `public` (flat on
physnet `public`, owned by the admin project) with `public-subnet` 203.0.113.0/24
(gateway .1, no DHCP), and for the demo project a network `private` with
`private-subnet` 172.16.1.0/24 (the install guide's self-service network, clear of the
nodes' own networks in topology.py) and a router `router1` with its gateway on `public`
and an interface on `private-subnet`. Safe on every start: it only adds what is missing.

Project ids come from Keystone (`GET /v3/projects?name=...` as the neutron service user).
The same functions as the API create everything, so the agents are told as usual.
"""

from __future__ import annotations

from minicloud.common.clients import IdentityClient
from minicloud.common.context import RequestContext
from minicloud.network import networks, router_interfaces, routers, subnets
from minicloud.network.core import Neutron


def project_ids(service_auth, timeout: float, names=("admin", "demo")) -> dict[str, str]:
    """The ids of the projects the bootstrap builds for, asked of Keystone (waiting at most
    `timeout`, Config.http_timeout)."""
    keystone = IdentityClient(service_auth, timeout)
    ids = {}
    for name in names:
        found = keystone.projects(name=name, domain_id="default")
        if found:
            ids[name] = found[0]["id"]
    return ids


def _find(neutron: Neutron, table: str, name: str, project_id: str) -> dict | None:
    return neutron.store.named(table, name, project_id)


def bootstrap(neutron: Neutron, projects: dict[str, str], say=print) -> None:
    admin = RequestContext(user_name="neutron", project_id=projects["admin"], roles=["admin"])
    public = _find(neutron, "networks", "public", projects["admin"])
    if public is None:
        say("    network   creating external network public (flat, 203.0.113.0/24)")
        public = networks.create(neutron, admin, {
            "name": "public", "router:external": True, "provider:network_type": "flat",
            "provider:physical_network": "public"})
    if _find(neutron, "subnets", "public-subnet", projects["admin"]) is None:
        subnets.create(neutron, admin, {
            "name": "public-subnet", "network_id": public["id"], "cidr": "203.0.113.0/24",
            "gateway_ip": "203.0.113.1", "enable_dhcp": False})
    demo_project = projects.get("demo")
    if demo_project:
        _demo(neutron, admin, public, demo_project, say)


def _demo(neutron: Neutron, admin, public: dict, project: str, say) -> None:
    demo = RequestContext(user_name="neutron", project_id=project, roles=["admin"])
    private = _find(neutron, "networks", "private", project)
    if private is None:
        say("    network   creating demo's network private (172.16.1.0/24) and router1")
        private = networks.create(neutron, demo, {"name": "private"})
    subnet = _find(neutron, "subnets", "private-subnet", project)
    if subnet is None:
        subnet = subnets.create(neutron, demo, {
            "name": "private-subnet", "network_id": private["id"], "cidr": "172.16.1.0/24"})
    router = _find(neutron, "routers", "router1", project)
    if router is None:
        router = routers.create(neutron, demo, {
            "name": "router1", "external_gateway_info": {"network_id": public["id"]}})
    if neutron.store.router_interface_on(router["id"], subnet["id"]) is None:
        router_interfaces.add(neutron, demo, router["id"], {"subnet_id": subnet["id"]})
