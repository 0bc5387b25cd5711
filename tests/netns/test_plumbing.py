"""plumbing.py: namespaces, veth pairs, bridges and addresses, made and removed for real."""

from __future__ import annotations

import pytest

from minicloud.netns.plumbing import Namespace, PlumbingError, check_name, names, veth


@pytest.fixture
def pair():
    made = [Namespace.create("mct-plumb-a"), Namespace.create("mct-plumb-b")]
    yield made
    for ns in made:
        ns.delete()


def test_a_veth_between_two_namespaces_carries_a_ping(pair):
    a, b = pair
    veth(a, "mct-va", b, "mct-vb", mac="fa:16:3e:00:00:02")
    a.address("mct-va", "10.99.0.1/24")
    a.address("mct-va", "10.99.0.1/24")  # twice is once
    b.address("mct-vb", "10.99.0.2/24")
    assert a.addresses("mct-va") == ["10.99.0.1/24"]
    assert "fa:16:3e:00:00:02" in b.run("ip", "link", "show", "mct-vb").stdout
    assert a.run("ping", "-c1", "-W2", "10.99.0.2", check=False).returncode == 0
    # a new namespace has IPv6 off (its chatter would flood the tunnels)
    assert b.run("sysctl", "-n", "net.ipv6.conf.all.disable_ipv6").stdout.strip() == "1"


def test_a_bridge_joins_namespaces_and_goes_with_its_namespace(pair):
    a, b = pair
    hub = Namespace.create("mct-plumb-hub")
    try:
        hub.bridge("mct-br")
        for ns, ip in ((a, "10.98.0.1/24"), (b, "10.98.0.2/24")):
            veth(hub, f"mct-p-{ns.name[-1]}", ns, "eth0")
            hub.enslave(f"mct-p-{ns.name[-1]}", "mct-br")
            ns.address("eth0", ip)
        assert a.run("ping", "-c1", "-W2", "10.98.0.2", check=False).returncode == 0
    finally:
        hub.delete()
    assert "mct-plumb-hub" not in names("mct-plumb")
    assert a.index("eth0") is None  # the veth died with its peer's namespace


def test_bad_names_are_refused_before_the_kernel_sees_them(pair):
    with pytest.raises(PlumbingError):
        check_name("a-name-of-sixteen")
    with pytest.raises(PlumbingError):
        pair[0].up("no-such-link")
