"""nodes.py over the memory bus: a storage node tells the controller where it listens, and
only the controller's RingPlacer writes that into the ring."""

from minicloud.common import rpc
from minicloud.config import Config
from minicloud.object import ring as ringmod
from minicloud.object.nodes import RING_TOPIC, RingPlacer, ask_nodes_to_announce
from tests.fakes import wait_for


def _ring_ports(ring_file) -> dict:
    return {d.node: d.port for d in ringmod.Ring.load(ring_file.path).devices}


def test_a_restarted_controller_learns_where_the_nodes_listen(tmp_path, nodes, ring_file,
                                                               transport, storage_services):
    """The controller rebuilds the ring with the planned ports (here: wrong ones); the
    nodes answer its fanout with their real ports, and the proxy's ring follows."""
    config = Config(home=tmp_path)
    for name in nodes:
        ringmod.place_node(config, name, 1)  # the planned ports, taken by someone else
    assert set(_ring_ports(ring_file).values()) == {1}
    placer = RingPlacer(config, ring_file)
    with rpc.RPCServer(transport, RING_TOPIC, "controller", [placer]):
        ask_nodes_to_announce(transport)
        real = {name: node.port for name, node in nodes.items()}
        assert wait_for(lambda: _ring_ports(ring_file) == real)
    ring_file.check_every = 0
    assert {d.node: d.port for d in ring_file.get().devices} == real


def test_a_node_not_in_the_ring_changes_nothing(tmp_path, ring_file):
    before = ring_file.path.read_bytes()
    RingPlacer(Config(home=tmp_path), ring_file).storage_node_up(None, "storage9", 4242)
    assert ring_file.path.read_bytes() == before
