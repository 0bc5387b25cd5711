"""The left-hand menu, as Horizon lays it out: dashboards (Project, Admin, Identity),
panel groups, panels. `admin` marks what a member does not see (and gets a 403 for)."""

from __future__ import annotations

NAVIGATION = [
    {"name": "Project", "admin": False, "groups": [
        ("Compute", [("Overview", "/project"), ("Instances", "/project/instances"),
                     ("Images", "/project/images"), ("Key Pairs", "/project/key_pairs")]),
        ("Volumes", [("Volumes", "/project/volumes")]),
        ("Network", [("Network Topology", "/project/network_topology"),
                     ("Networks", "/project/networks"), ("Routers", "/project/routers"),
                     ("Security Groups", "/project/security_groups"),
                     ("Floating IPs", "/project/floating_ips")]),
        ("Object Store", [("Containers", "/project/containers")]),
    ]},
    {"name": "Admin", "admin": True, "groups": [
        ("Compute", [("Hypervisors", "/admin/hypervisors"),
                     ("Instances", "/admin/instances")]),
        ("System", [("System Information", "/admin/services")]),
    ]},
    {"name": "Identity", "admin": True, "groups": [
        ("", [("Projects", "/identity/projects"), ("Users", "/identity/users"),
              ("Role Assignments", "/identity/role_assignments")]),
    ]},
]


def active_item(path: str) -> str:
    """The menu entry a page belongs to: the longest menu URL that starts its path."""
    urls = [url for d in NAVIGATION for _, items in d["groups"] for _, url in items]
    hits = [u for u in urls if path == u or path.startswith(u + "/")]
    return max(hits, key=len) if hits else ""
