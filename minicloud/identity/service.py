"""Where Keystone runs: on the controller, alone (its tokens are checked in its own
process, no REST round trip). In the processes mode it may also run in API worker
processes (api_worker.py): each opens the same identity.db and Fernet keys, so a token
issued or revoked through one is known to all at once (revocations are rows, read on every
validation; nothing about tokens is kept in memory)."""

from __future__ import annotations


def controller(node):
    from minicloud.identity.bootstrap import bootstrap

    keystone = _keystone(node)
    bootstrap(keystone)
    return _app(node, keystone)


def api_worker(node):
    """The controller's app again, without the bootstrap the controller ran."""
    return _app(node, _keystone(node))


# Imported here, not at the top: no other node's process needs Keystone's modules.
def _keystone(node):
    from minicloud.identity.core import Keystone
    from minicloud.identity.store import IdentityStore

    return Keystone(node.config, IdentityStore(node.config.path("identity.db")))


def _app(node, keystone):
    from minicloud.identity import api

    return api.create_app(keystone, node.tracer, keystone.validate)


PARTS = {"controller": controller}
