"""First start of Keystone (what `keystone-manage bootstrap` and DevStack do): the Default
domain, the admin/member/reader roles, the admin and demo users and projects, the region
and one catalog entry per service that exists. Safe to run on every start: it only adds
what is missing, and refreshes catalog URLs (ports may change between runs).
"""

from __future__ import annotations

from minicloud.common.keystone import SERVICE_USERS
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore, new_id

ROLES = ("admin", "member", "reader", "service")

# Each service's own user in project `service` (as DevStack creates them): services log
# in as it to validate their callers' tokens and to call each other.

# Service name in minicloud -> (catalog type, catalog name, path after host:port).
CATALOG = {
    "identity": ("identity", "keystone", "/v3"),
    "image": ("image", "glance", ""),
    "compute": ("compute", "nova", "/v2.1"),
    "network": ("network", "neutron", ""),
    "volume": ("block-storage", "cinder", "/v3/$(project_id)s"),
    "object": ("object-store", "swift", "/v1/AUTH_$(project_id)s"),
}


def _ensure_user(keystone: Keystone, name: str, password: str, project: dict,
                 roles: list[dict]) -> None:
    store = keystone.store
    # hashed only when the user is new: scrypt is slow on purpose, and this runs every start
    user = store.user_by_name(name, "default") or store.insert_user({
        "id": new_id(), "name": name, "domain_id": "default", "enabled": 1,
        "default_project_id": project["id"], "password_hash": keystone.hash_password(password)})
    for role in roles:
        store.grant("UserProject", user["id"], project["id"], role["id"])


def bootstrap(keystone: Keystone) -> None:
    config, store = keystone.config, keystone.store
    with store.transaction():
        if not store.domain("default"):
            store.insert_domain({"id": "default", "name": "Default",
                                 "description": "The default domain", "enabled": 1})
        roles = {name: store.role_by_name(name) or store.insert_role({"id": new_id(), "name": name})
                 for name in ROLES}
        for prior, implied in (("admin", "member"), ("member", "reader")):
            store.add_implied_role(roles[prior]["id"], roles[implied]["id"])
        projects = {name: store.project_by_name(name, "default") or store.insert_project(
                        {"id": new_id(), "name": name, "domain_id": "default", "enabled": 1,
                         "description": f"Bootstrap project {name}"})
                    for name in ("admin", "demo", "service")}
        _ensure_user(keystone, "admin", config.admin_password, projects["admin"],
                     [roles["admin"]])
        _ensure_user(keystone, "demo", config.demo_password, projects["demo"], [roles["member"]])
        for service in config.services:
            if service in SERVICE_USERS:
                _ensure_user(keystone, SERVICE_USERS[service], config.service_password,
                             projects["service"], [roles["admin"], roles["service"]])
        if not store.region(config.region):
            store.insert_region({"id": config.region, "description": ""})
        for service in config.services:
            if service in CATALOG:  # the dashboard serves pages, not an API
                register_service(store, config, service)


def register_service(store: IdentityStore, config, service: str) -> None:
    """Catalog entry of one service: the public endpoint where the learner reaches it, the
    internal and admin ones where the other nodes do (the same URL unless the nodes have
    a management network of their own)."""
    type_, name, path = CATALOG[service]
    found = store.services(type=type_)
    svc = found[0] if found else store.insert_service(
        {"id": new_id(), "type": type_, "name": name, "enabled": 1})
    for interface in ("public", "internal", "admin"):
        url = (config.base_url(service) if interface == "public"
               else config.internal_url(service)) + path
        found = store.endpoints(service_id=svc["id"], interface=interface,
                                region_id=config.region)
        if not found:
            store.insert_endpoint({"id": new_id(), "service_id": svc["id"],
                                   "interface": interface, "region_id": config.region,
                                   "url": url, "enabled": 1})
        elif found[0]["url"] != url:
            store.update_endpoint(found[0]["id"], {"url": url})
