"""nova-scheduler: picks a compute host for an instance (RPC topic `scheduler`).

The conductor calls `select_destinations(spec, hosts)`; the scheduler runs the filters
(filters.py) and then the weigher (weighers.py) and answers with the chosen host and an
explanation of its decision, which the conductor keeps with the instance action and the
trace shows. No host left → NoValidHost, which the conductor turns into the server's fault.

Difference from Nova: Nova's scheduler reads host states from the cell database and claims
resources in Placement; here the conductor sends the host states with the request and
claims the allocation itself once the scheduler has answered, checking the host still
has room inside one database transaction (and asking again if another build took it).
"""

from __future__ import annotations

from minicloud.common import trace
from minicloud.compute import filters, weighers


class NoValidHost(Exception):
    """No host passed the filters (the message says which filter dropped which host)."""


def host_state(node: dict, service: dict | None, used: dict | None, *, up: bool) -> dict:
    """What the filters and weighers look at for one host (built by the conductor)."""
    used = used or {}
    return {
        "host": node["host"], "zone": (service or {}).get("zone", "nova"),
        "up": up, "enabled": bool(service) and not service["disabled"],
        "disabled_reason": (service or {}).get("disabled_reason"),
        "hypervisor_type": node["hypervisor_type"],
        "vcpus": node["vcpus"], "memory_mb": node["memory_mb"], "local_gb": node["local_gb"],
        "cpu_ratio": node["cpu_ratio"], "ram_ratio": node["ram_ratio"],
        "disk_ratio": node["disk_ratio"], "vcpus_used": used.get("vcpus") or 0,
        "memory_mb_used": used.get("memory_mb") or 0, "local_gb_used": used.get("disk_gb") or 0,
        "instances": used.get("instances") or 0}


def run_filters(hosts: list[dict], spec: dict, chain=filters.DEFAULT_FILTERS):
    """(hosts left, one line per filter that dropped something)."""
    notes = []
    for f in chain:
        kept, dropped = [], []
        for h in hosts:
            reason = f.reject(h, spec)
            (dropped.append(f"{h['host']}: {reason}") if reason else kept.append(h))
        if dropped:
            notes.append(f"{f.name} {len(hosts)}->{len(kept)} ({'; '.join(dropped)})")
        hosts = kept
    return hosts, notes


def choose(hosts: list[dict], spec: dict, weigher: str = "ram_spread") -> tuple[str, str]:
    """(chosen host, explanation) or NoValidHost. Pure: the bench calls it directly."""
    passed, notes = run_filters(hosts, spec)
    if not passed:
        detail = "; ".join(notes) or "no compute hosts are registered"
        raise NoValidHost(f"No valid host was found. There are not enough hosts available. "
                          f"({detail})")
    label, weighed = weighers.weigh(passed, weigher)
    ranking = ", ".join(f"{h['host']}={w:.0f}" for w, h in weighed[:5])
    chosen = weighed[0][1]["host"]
    passed_note = f"{len(passed)} of {len(hosts)} hosts passed the filters"
    explanation = "; ".join([passed_note, *notes, f"weigher {label}: {ranking}",
                             f"chose {chosen}"])
    return chosen, explanation


class SchedulerManager:
    """The scheduler's RPC endpoint."""

    def __init__(self, weigher: str = "ram_spread", tracer: trace.Tracer | None = None):
        self.weigher = weigher
        self.tracer = tracer or trace.Tracer()

    def select_destinations(self, ctx, spec: dict, hosts: list[dict]) -> dict:
        with self.tracer.span("nova-scheduler", "filter and weigh hosts",
                              instance=spec.get("instance_id")) as span:
            try:
                host, explanation = choose(hosts, spec, self.weigher)
            except NoValidHost as exc:
                span.attrs["note"] = str(exc)
                raise
            span.attrs.update(chosen_host=host, note=explanation)
        return {"host": host, "explanation": explanation}
