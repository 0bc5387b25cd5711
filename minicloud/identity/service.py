"""Where Keystone runs: on the controller, alone (its tokens are checked in its own
process, no REST round trip)."""

from __future__ import annotations

from minicloud.identity import api
from minicloud.identity.bootstrap import bootstrap
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore


def controller(node):
    keystone = Keystone(node.config, IdentityStore(node.config.path("identity.db")))
    bootstrap(keystone)
    return api.create_app(keystone, node.tracer, keystone.validate)


PARTS = {"controller": controller}
