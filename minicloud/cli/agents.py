"""`minicloud agents`: what every Neutron agent has configured, read from
`GET /v2.0/minicloud/dataplane` with the admin credentials of the data directory's
clouds.yaml, printed node by node."""

from __future__ import annotations

from pathlib import Path

import yaml

from minicloud.common.clients import NetworkClient
from minicloud.common.keystone import ServiceAuth


def fetch(clouds_yaml: Path, cloud: str = "minicloud-admin") -> list[dict]:
    auth = yaml.safe_load(Path(clouds_yaml).read_text())["clouds"][cloud]["auth"]
    login = ServiceAuth(auth["auth_url"], auth["username"], auth["password"],
                        project=auth["project_name"])
    return NetworkClient(login).request("GET", "/minicloud/dataplane")["agents"]


def _bridge(plane: dict) -> list[str]:
    lines = []
    for name, bridge in sorted(plane["bridges"].items()):
        uplink = bridge["uplink"]
        how = (f"VXLAN VNI {uplink['vni']} from {uplink['local_ip']}"
               if uplink["type"] == "vxlan" else f"physnet {uplink['physical_network']}")
        lines.append(f"  bridge {name}  (network {bridge['network_id']}, mtu {bridge['mtu']})")
        lines.append(f"    uplink {uplink['name']}  ({how})")
        lines += [f"    port   {tap}" for tap in bridge["taps"]]
        lines += [f"    fdb    {mac} {ip} -> {vtep}"  # l2population: who is behind which tunnel
                  for vtep, pairs in sorted(bridge.get("fdb", {}).items()) for mac, ip in pairs]
    return lines or ["  (no bridges: no port on this node yet)"]


def _l3(plane: dict) -> list[str]:
    lines = []
    for name, ns in sorted(plane["namespaces"].items()):
        lines.append(f"  namespace {name}")
        lines += [f"    dev   {d['name']}  {' '.join(d['addresses'])}" for d in ns["devices"]]
        lines += [f"    route {r}" for r in ns["routes"]]
        lines += [f"    nat   {rule}" for rule in ns["nat"]]
    return lines or ["  (no routers)"]


def _dhcp(plane: dict) -> list[str]:
    lines = []
    for name, ns in sorted(plane["namespaces"].items()):
        device = ns["device"] or {"name": "-", "addresses": []}
        lines.append(f"  namespace {name}  ({', '.join(ns['subnets'])})")
        lines.append(f"    dev   {device['name']}  {' '.join(device['addresses'])}")
        lines += [f"    opt   {cidr} {option}" for cidr, options in ns.get("options", {}).items()
                  for option in options]
        lines += [f"    host  {entry}" for entries in ns["hosts"].values() for entry in entries]
    return lines or ["  (no DHCP networks)"]


FORMATS = {"Linux bridge agent": _bridge, "L3 agent": _l3, "DHCP agent": _dhcp}


def format_agents(agents: list[dict]) -> str:
    lines = []
    for agent in agents:
        state = ":-)" if agent["alive"] else "XXX"
        lines.append(f"*** {agent['host']}: {agent['agent_type']} ({agent['binary']}) {state}")
        if agent["dataplane"] is None:
            lines.append(f"  (no answer: {agent['error']})")
        else:
            lines += FORMATS.get(agent["agent_type"], lambda p: [f"  {p}"])(agent["dataplane"])
    return "\n".join(lines)
