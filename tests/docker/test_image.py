"""The node image: what the nodes need is inside it and works there, and a second ensure finds
the image instead of building it again."""

from __future__ import annotations

import time

import pytest

from minicloud.dockermode import engine, image

# a cold build takes minutes, and may first wait for a netns test module's cloud to go down
pytestmark = pytest.mark.timeout(1800)


def run(container, command: str) -> str:
    code, out = container.exec_run(["sh", "-c", command])
    text = out.decode(errors="replace")
    assert code == 0, f"{command!r} exited {code}: {text}"
    return text


def test_minicloud_and_its_dependencies_import(node_container):
    run(node_container, "/opt/minicloud/bin/python -c 'import minicloud, pika, falcon, "
                        "pyroute2, docker, waitress, sqlite_utils, cryptography, jsonschema, "
                        "requests, yaml'")
    assert "usage: minicloud" in run(node_container, "minicloud --help")  # on PATH


def test_namespaces_and_nftables_work_with_the_nodes_capabilities(node_container):
    run(node_container, "ip netns add mct-x && ip netns exec mct-x ip link set lo up")
    assert "127.0.0.1" in run(node_container, "ip netns exec mct-x ping -c1 -W2 127.0.0.1")
    run(node_container, "ip link add mct-br type bridge && ip link add mct-vx type vxlan "
                        "id 100 dstport 4789 dev eth0 && ip link set mct-vx master mct-br")
    run(node_container, "nft add table inet mct && nft add chain inet mct c && "
                        "nft list table inet mct")


def test_the_data_plane_tools_and_the_broker_are_there(node_container):
    for tool in ("dnsmasq", "dhcp_release", "udhcpc", "tcpdump", "ping", "ps", "sysctl",
                 "nsenter", "rabbitmq-server", "rabbitmqctl"):
        run(node_container, f"command -v {tool}")
    assert "Dnsmasq version" in run(node_container, "dnsmasq --version")
    run(node_container, "tcpdump --version")


def test_a_second_ensure_finds_the_image(docker_client, node_image):
    # the fixture's image, unless minicloud's source changed since (an edit while the tests
    # run): then this builds the node layer again, and the next call must find that one
    first = image.ensure(docker_client)
    assert first.cached == (first.tag == node_image.tag)
    start = time.monotonic()
    again = image.ensure(docker_client)
    seconds = time.monotonic() - start
    assert again.cached and again.id == first.id and again.tag == first.tag
    assert seconds < 1.0, f"a warm ensure took {seconds:.2f} s"


def test_without_an_engine_the_error_says_how_to_start_one(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(engine.NoEngine, match="make docker-engine"):
        engine.connect()
