"""Where Keystone runs: on the controller, alone (its tokens are checked in its own
process, no REST round trip). In the processes mode it may also run in API worker
processes (api_worker.py): each opens the same identity.db and Fernet keys, so a token
issued or revoked through one is known to all at once (revocations are rows, read on every
validation; nothing about tokens is kept in memory)."""

from __future__ import annotations

from minicloud.identity import api
from minicloud.identity.bootstrap import bootstrap
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore


def controller(node):
    keystone = Keystone(node.config, IdentityStore(node.config.path("identity.db")))
    bootstrap(keystone)
    return api.create_app(keystone, node.tracer, keystone.validate)


def api_worker(node):
    """The controller's app again, without the bootstrap the controller ran."""
    keystone = Keystone(node.config, IdentityStore(node.config.path("identity.db")))
    return api.create_app(keystone, node.tracer, keystone.validate)


PARTS = {"controller": controller}
