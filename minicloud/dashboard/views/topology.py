"""Project > Network > Network Topology: the project's networks (the external one on top),
its routers and its instances, drawn as an SVG on the server, as Horizon's topology page
draws them in the browser: a network is a horizontal bar, a router or an instance a box
with a line to every network it has a port on (a router's gateway to the external one).
The page's script fetches the graph again every few seconds (`?part=graph`), so it follows
what changes."""

from __future__ import annotations

import dataclasses

from minicloud.dashboard.views.base import Panel

BAR_GAP, TOP, LEFT, BOX_W, BOX_H, COL_W = 110, 50, 220, 120, 34, 150
COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#17becf", "#e377c2"]


@dataclasses.dataclass
class Device:
    kind: str  # router or instance
    id: str
    name: str
    status: str
    links: list  # (network id, label: an address, or "gateway")
    x: float = 0
    y: float = 0


def _graph(networks: list, subnets: dict, routers: list, ports: list, servers: list) -> dict:
    networks = sorted(networks, key=lambda n: (not n.get("router:external"), n.get("name", "")))
    rows = {n["id"]: i for i, n in enumerate(networks)}
    devices = []
    for r in routers:
        links = [(p["network_id"], ", ".join(ip["ip_address"] for ip in p.get("fixed_ips", [])))
                 for p in ports if p.get("device_id") == r["id"]]
        gateway = (r.get("external_gateway_info") or {}).get("network_id")
        if gateway and gateway not in {n for n, _ in links}:
            links.append((gateway, "gateway"))
        devices.append(Device("router", r["id"], r.get("name") or r["id"][:8],
                              r.get("status", ""), links))
    for s in servers:
        links = [(p["network_id"], ", ".join(ip["ip_address"] for ip in p.get("fixed_ips", [])))
                 for p in ports if p.get("device_id") == s["id"]]
        devices.append(Device("instance", s["id"], s.get("name") or s["id"][:8],
                              s.get("status", ""), links))
    for i, d in enumerate(devices):
        attached = sorted(rows[n] for n, _ in d.links if n in rows) or [len(networks)]
        d.x = LEFT + i * COL_W
        # between its first two networks (a router), or just under its only one
        d.y = TOP + (attached[0] + 0.5) * BAR_GAP - BOX_H / 2
    width = max(LEFT + len(devices) * COL_W + 40, 700)
    bars = [{"id": n["id"], "name": n.get("name") or n["id"][:8], "y": TOP + rows[n["id"]] * BAR_GAP,
             "external": bool(n.get("router:external")), "colour": COLOURS[i % len(COLOURS)],
             "cidrs": [subnets[s]["cidr"] for s in n.get("subnets", []) if s in subnets]}
            for i, n in enumerate(networks)]
    y_of = {b["id"]: b["y"] for b in bars}
    names = {b["id"]: b["name"] for b in bars}
    links = [{"device": d, "network": n, "network_name": names[n], "label": label, "x": d.x + BOX_W / 2,
              "y1": d.y if y_of[n] < d.y else d.y + BOX_H, "y2": y_of[n]}
             for d in devices for n, label in d.links if n in y_of]
    height = TOP + max(len(networks), 1) * BAR_GAP + 20
    return {"bars": bars, "devices": devices, "links": links, "width": width,
            "height": height, "box_w": BOX_W, "box_h": BOX_H}


class Topology(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        networks = api.get("network", "/v2.0/networks")["networks"]
        subnets = {s["id"]: s for s in api.get("network", "/v2.0/subnets")["subnets"]}
        routers = api.get("network", "/v2.0/routers")["routers"]
        ports = api.get("network", "/v2.0/ports")["ports"]
        servers = api.get("compute", "/servers")["servers"]
        graph = _graph(networks, subnets, routers, ports, servers)
        self.render(req, resp, "topology.html", title="Network Topology", graph=graph)
