"""First start of Keystone (what `keystone-manage bootstrap` and DevStack do): the Default
domain, the admin/member/reader roles, the admin and demo users and projects, the region
and one catalog entry per service that exists. Safe to run on every start: it only adds
what is missing, and refreshes catalog URLs (ports may change between runs).
"""

from __future__ import annotations

from minicloud.identity import passwords
from minicloud.identity.store import IdentityStore, new_id

ROLES = ("admin", "member", "reader", "service")

# Each service's own user in project `service` (as DevStack creates them): services log
# in as it to validate their callers' tokens and to call each other.
SERVICE_USERS = {"image": "glance", "compute": "nova", "network": "neutron",
                 "volume": "cinder", "object": "swift"}

# Service name in minicloud -> (catalog type, catalog name, path after host:port).
CATALOG = {
    "identity": ("identity", "keystone", "/v3"),
    "image": ("image", "glance", ""),
    "compute": ("compute", "nova", "/v2.1"),
    "network": ("network", "neutron", ""),
    "volume": ("block-storage", "cinder", "/v3/$(project_id)s"),
    "object": ("object-store", "swift", "/v1/AUTH_$(project_id)s"),
}


def _ensure(db, table: str, where: dict, values: dict) -> dict:
    clause = " AND ".join(f"{k} = ?" for k in where)
    found = list(db.query(f"SELECT * FROM {table} WHERE {clause}", tuple(where.values())))
    if found:
        return found[0]
    row = {**where, **values}
    db[table].insert(row)
    return row


def _ensure_user(db, name: str, password: str, project: dict, roles: list[dict],
                 scrypt_n: int) -> None:
    user = _ensure(db, "users", {"name": name, "domain_id": "default"},
                   {"id": new_id(), "enabled": 1, "default_project_id": project["id"],
                    "password_hash": passwords.hash_password(password, n=scrypt_n)})
    for role in roles:
        _ensure(db, "assignments", {"type": "UserProject", "actor_id": user["id"],
                                    "target_id": project["id"], "role_id": role["id"],
                                    "inherited": 0}, {})


def bootstrap(config, store: IdentityStore) -> None:
    with store.transaction() as db:
        _ensure(db, "domains", {"id": "default"},
                {"name": "Default", "description": "The default domain", "enabled": 1})
        roles = {name: _ensure(db, "roles", {"name": name}, {"id": new_id()}) for name in ROLES}
        for prior, implied in (("admin", "member"), ("member", "reader")):
            _ensure(db, "implied_roles", {"prior_role_id": roles[prior]["id"],
                                          "implied_role_id": roles[implied]["id"]}, {})
        projects = {name: _ensure(db, "projects", {"name": name, "domain_id": "default"},
                                  {"id": new_id(), "enabled": 1,
                                   "description": f"Bootstrap project {name}"})
                    for name in ("admin", "demo", "service")}
        _ensure_user(db, "admin", config.admin_password, projects["admin"], [roles["admin"]],
                     config.scrypt_n)
        _ensure_user(db, "demo", config.demo_password, projects["demo"], [roles["member"]],
                     config.scrypt_n)
        for service in config.services:
            if service in SERVICE_USERS:
                _ensure_user(db, SERVICE_USERS[service], config.service_password,
                             projects["service"], [roles["admin"], roles["service"]],
                             config.scrypt_n)
        _ensure(db, "regions", {"id": config.region}, {"description": ""})
        for service in config.services:
            register_service(db, config, service)


def register_service(db, config, service: str) -> None:
    """Catalog entry of one service: public, internal and admin endpoints at its URL."""
    type_, name, path = CATALOG[service]
    svc = _ensure(db, "services", {"type": type_}, {"id": new_id(), "name": name, "enabled": 1})
    url = config.base_url(service) + path
    for interface in ("public", "internal", "admin"):
        endpoint = _ensure(db, "endpoints", {"service_id": svc["id"], "interface": interface,
                                             "region_id": config.region},
                           {"id": new_id(), "url": url, "enabled": 1})
        if endpoint["url"] != url:
            db["endpoints"].update(endpoint["id"], {"url": url})
