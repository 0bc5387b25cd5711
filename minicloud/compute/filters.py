"""Scheduler filters: each one keeps the hosts that can take the request and says why it
dropped the others (Nova's nova/scheduler/filters, same names).

A host state is a dict the conductor builds from compute.db (see scheduler.host_state);
a request spec carries the flavor, the image, the availability zone and the hosts to
ignore or force.
"""

from __future__ import annotations

import abc


class Filter(abc.ABC):
    name = "Filter"

    @abc.abstractmethod
    def reject(self, host: dict, spec: dict) -> str | None:
        """None if `host` passes, else a short reason."""
        ...


class ComputeFilter(Filter):
    """The host's nova-compute service is up (heartbeats arrive) and enabled."""
    name = "ComputeFilter"

    def reject(self, host, spec):
        if not host["up"]:
            return "nova-compute is down (no recent heartbeat)"
        if not host["enabled"]:
            return f"nova-compute is disabled ({host.get('disabled_reason') or 'no reason'})"
        return None


class RamFilter(Filter):
    """Free RAM (total x ram_allocation_ratio - used) covers the flavor's RAM."""
    name = "RamFilter"

    def reject(self, host, spec):
        free = host["memory_mb"] * host["ram_ratio"] - host["memory_mb_used"]
        need = spec["flavor"]["ram"]
        return None if free >= need else f"{free:.0f} MB RAM free < {need} MB"


class DiskFilter(Filter):
    name = "DiskFilter"

    def reject(self, host, spec):
        free = host["local_gb"] * host["disk_ratio"] - host["local_gb_used"]
        need = spec["flavor"]["disk"]
        return None if free >= need else f"{free:.0f} GB disk free < {need} GB"


class VCPUFilter(Filter):
    """Nova's placement check on VCPU (once CoreFilter)."""
    name = "VCPUFilter"

    def reject(self, host, spec):
        free = host["vcpus"] * host["cpu_ratio"] - host["vcpus_used"]
        need = spec["flavor"]["vcpus"]
        return None if free >= need else f"{free:.0f} vCPUs free < {need}"


class AvailabilityZoneFilter(Filter):
    name = "AvailabilityZoneFilter"

    def reject(self, host, spec):
        wanted = spec.get("availability_zone")
        if wanted and wanted != host["zone"]:
            return f"in zone {host['zone']}, not {wanted}"
        return None


class ImagePropertiesFilter(Filter):
    """The image's `hypervisor_type` / `architecture` properties match the host."""
    name = "ImagePropertiesFilter"

    def reject(self, host, spec):
        image = spec.get("image") or {}
        hv = image.get("hypervisor_type") or image.get("img_hv_type")
        if hv and hv != host["hypervisor_type"]:
            return f"hypervisor {host['hypervisor_type']} is not the image's {hv}"
        arch = image.get("architecture")
        if arch and arch not in ("x86_64", host.get("architecture", "x86_64")):
            return f"architecture x86_64 is not the image's {arch}"
        return None


class IgnoreForceHostsFilter(Filter):
    """Hosts already tried (a reschedule), the current host (a migration) or a requested
    destination (live migration --host)."""
    name = "IgnoreForceHostsFilter"

    def reject(self, host, spec):
        if host["host"] in spec.get("ignore_hosts", ()):
            return "ignored (already tried, or the instance's current host)"
        force = spec.get("force_hosts")
        if force and host["host"] not in force:
            return f"not the requested host {', '.join(force)}"
        return None


DEFAULT_FILTERS = [IgnoreForceHostsFilter(), ComputeFilter(), AvailabilityZoneFilter(),
                   RamFilter(), DiskFilter(), VCPUFilter(), ImagePropertiesFilter()]
