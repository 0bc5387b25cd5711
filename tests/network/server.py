"""neutron-server for tests: its API (through falcon's TestClient; tests/fakes.py's fake
validator maps each token to a RequestContext) and its plugin RPC, on an in-memory bus.
The unit tests (conftest.py) add simulated agents; the data-plane tests (tests/netns) add
real ones."""

from __future__ import annotations

import contextlib

from falcon import testing

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.network import api, rpc_callbacks
from minicloud.network.core import Neutron
from minicloud.network.notifier import Notifier
from minicloud.network.store import NetworkStore
from tests.fakes import fake_validator


@contextlib.contextmanager
def neutron_server(config):
    """Yields (neutron, a TestClient of its API); agents reach it on `neutron.transport`."""
    transport, tracer = rpc.get_transport("memory://"), Tracer()
    store = NetworkStore(config.path("network.db"))
    neutron = Neutron(config, store, Notifier(store, transport,
                                              timeout=config.rpc_quick_timeout),
                      transport=transport, tracer=tracer)
    plugin = rpc_callbacks.start_plugin_rpc(neutron)
    try:
        yield neutron, testing.TestClient(api.create_app(neutron, tracer, fake_validator))
    finally:
        plugin.stop()
        transport.close()
