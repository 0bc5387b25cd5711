"""Scheduler weighers: among the hosts that passed the filters, the highest weight wins.

`ram_spread` (Nova's default RAMWeigher, multiplier 1.0) prefers the host with the most
free RAM, spreading instances; `ram_stack` (multiplier -1.0) fills one host first;
`cpu_spread` prefers free vCPUs; `random` shuffles. Pick one with `scheduler_weigher`.
"""

from __future__ import annotations

import random


def free_ram(host: dict) -> float:
    return host["memory_mb"] * host["ram_ratio"] - host["memory_mb_used"]


def free_vcpus(host: dict) -> float:
    return host["vcpus"] * host["cpu_ratio"] - host["vcpus_used"]


WEIGHERS = {
    "ram_spread": ("RAMWeigher x1.0 (free MB)", free_ram),
    "ram_stack": ("RAMWeigher x-1.0 (free MB)", lambda h: -free_ram(h)),
    "cpu_spread": ("CPUWeigher x1.0 (free vCPUs)", free_vcpus),
    "random": ("random", lambda h: random.random()),
}


def weigh(hosts: list[dict], weigher: str) -> tuple[str, list[tuple[float, dict]]]:
    """(description, [(weight, host)] best first); ties go to the host with fewer instances
    and then to the name, so the choice is reproducible."""
    if weigher not in WEIGHERS:
        raise ValueError(f"unknown scheduler weigher {weigher!r}; choose from "
                         f"{', '.join(WEIGHERS)}")
    label, fn = WEIGHERS[weigher]
    weighed = [(fn(h), h) for h in hosts]
    weighed.sort(key=lambda wh: (-wh[0], wh[1].get("instances", 0), wh[1]["host"]))
    return label, weighed
