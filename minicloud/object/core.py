"""What every resource of Swift's proxy works on: the account/container store, the object
controller that talks to the storage nodes, the replicator, the operator's reach to the
storage nodes over RPC (nodes.py), the expirer pass and the proxy's spool directory; and
the rule they share, whose account a request may use.

service.py builds one `Swift` and api.py hands it to each resource; a unit test builds one
over storage nodes in a temporary directory and the memory bus.
"""

from __future__ import annotations

from pathlib import Path

from minicloud.common import errors
from minicloud.object import constraints
from minicloud.object.expirer import Expirer
from minicloud.object.nodes import StorageAdmin
from minicloud.object.proxy import ObjectController
from minicloud.object.replicator import Replicator
from minicloud.object.store import ObjectStore


class Swift:
    def __init__(self, store: ObjectStore, controller: ObjectController,
                 replicator: Replicator, storage: StorageAdmin, tmp_dir: Path):
        self.store = store
        self.controller = controller
        self.ring = controller.ring
        self.replicator = replicator
        self.storage = storage  # the storage nodes' admin endpoints, over RPC
        self.tmp_dir = Path(tmp_dir)  # where a large PUT's body is spooled
        self.expirer = Expirer(store, controller)


def check_account(req, account: str) -> None:
    """The caller's own account only (`AUTH_<project_id>`), unless they are an admin: ACLs
    are kept but not enforced (see the package docstring)."""
    ctx = req.context.ctx
    if not account.startswith("AUTH_") or len(account) > constraints.MAX_ACCOUNT_NAME_LENGTH:
        raise errors.BadRequest("Invalid account")
    if not ctx.is_admin and account != f"AUTH_{ctx.project_id}":
        raise errors.Forbidden("Forbidden")


def check_admin(req) -> None:
    """The `/minicloud/` routes (stop, start and wipe a node; replicate now): admins only."""
    if not req.context.ctx.is_admin:
        raise errors.Forbidden("Only an admin may do this.")
