"""The scheduler's filters and weighers, called directly with synthetic host states."""

import pytest

from minicloud.compute import filters, weighers
from minicloud.compute.scheduler import NoValidHost, choose, run_filters


def host(name, *, ram=16384, ram_used=0, disk=200, disk_used=0, vcpus=8, vcpus_used=0,
         up=True, enabled=True, zone="nova", hv="fake", instances=0):
    return {"host": name, "zone": zone, "up": up, "enabled": enabled, "disabled_reason": None,
            "hypervisor_type": hv, "vcpus": vcpus, "memory_mb": ram, "local_gb": disk,
            "cpu_ratio": 16.0, "ram_ratio": 1.5, "disk_ratio": 1.0, "vcpus_used": vcpus_used,
            "memory_mb_used": ram_used, "local_gb_used": disk_used, "instances": instances}


def spec(ram=512, disk=1, vcpus=1, **extra):
    return {"flavor": {"ram": ram, "disk": disk, "vcpus": vcpus}, "image": {}, **extra}


def test_compute_filter_drops_down_and_disabled_hosts():
    f = filters.ComputeFilter()
    assert f.reject(host("a"), spec()) is None
    assert "down" in f.reject(host("a", up=False), spec())
    assert "disabled" in f.reject(host("a", enabled=False), spec())


def test_ram_filter_applies_the_allocation_ratio():
    f = filters.RamFilter()
    assert f.reject(host("a", ram=1000), spec(ram=1500)) is None  # 1000 x 1.5
    assert f.reject(host("a", ram=1000), spec(ram=1501)) == "1500 MB RAM free < 1501 MB"
    assert f.reject(host("a", ram=1000, ram_used=1000), spec(ram=501)) is not None


def test_disk_and_vcpu_filters():
    assert filters.DiskFilter().reject(host("a", disk=10, disk_used=5), spec(disk=6))
    assert filters.DiskFilter().reject(host("a", disk=10, disk_used=5), spec(disk=5)) is None
    assert filters.VCPUFilter().reject(host("a", vcpus=1, vcpus_used=16), spec(vcpus=1))
    assert filters.VCPUFilter().reject(host("a", vcpus=1, vcpus_used=15), spec(vcpus=1)) is None


def test_availability_zone_and_image_properties_filters():
    assert filters.AvailabilityZoneFilter().reject(host("a"), spec(availability_zone="x"))
    zone = spec(availability_zone="nova")
    assert filters.AvailabilityZoneFilter().reject(host("a"), zone) is None
    image_spec = {**spec(), "image": {"hypervisor_type": "qemu"}}
    assert "qemu" in filters.ImagePropertiesFilter().reject(host("a"), image_spec)
    assert filters.ImagePropertiesFilter().reject(host("a", hv="qemu"), image_spec) is None


def test_ignore_and_force_hosts():
    f = filters.IgnoreForceHostsFilter()
    assert f.reject(host("a"), spec(ignore_hosts=["a"]))
    assert f.reject(host("a"), spec(force_hosts=["b"]))
    assert f.reject(host("b"), spec(force_hosts=["b"])) is None


def test_run_filters_reports_what_each_filter_dropped():
    left, notes = run_filters([host("a"), host("b", up=False), host("c", ram=100)], spec())
    assert [h["host"] for h in left] == ["a"]
    assert notes == ["ComputeFilter 3->2 (b: nova-compute is down (no recent heartbeat))",
                     "RamFilter 2->1 (c: 150 MB RAM free < 512 MB)"]


def test_ram_spread_prefers_free_ram_and_ram_stack_the_opposite():
    hosts = [host("a", ram_used=4096), host("b", ram_used=1024)]
    assert weighers.weigh(hosts, "ram_spread")[1][0][1]["host"] == "b"
    assert weighers.weigh(hosts, "ram_stack")[1][0][1]["host"] == "a"
    assert weighers.weigh([host("a", vcpus_used=3), host("b")], "cpu_spread")[1][0][1][
        "host"] == "b"
    with pytest.raises(ValueError):
        weighers.weigh(hosts, "nope")


def test_ties_go_to_fewer_instances_then_name():
    hosts = [host("b"), host("a", instances=2), host("c")]
    assert [h["host"] for _, h in weighers.weigh(hosts, "ram_spread")[1]] == ["b", "c", "a"]


def test_choose_explains_and_no_valid_host_names_the_filter():
    chosen, why = choose([host("a", ram_used=8000), host("b")], spec())
    assert chosen == "b"
    assert why.startswith("2 of 2 hosts passed the filters") and why.endswith("chose b")
    with pytest.raises(NoValidHost, match=r"No valid host was found\..*RamFilter"):
        choose([host("a", ram=100)], spec())
