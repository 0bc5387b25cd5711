"""Expiring objects: `X-Delete-At` / `X-Delete-After`, and the expirer pass.

A PUT or POST may say when its object goes (`X-Delete-At`, seconds since the epoch, or
`X-Delete-After`, seconds from now, which the proxy turns into an `X-Delete-At`). The
object servers keep it with the object's metadata and answer 404 for it from that second
on, so a read never sees an expired object. Real Swift's proxy also files the object
under a hidden `.expiring_objects` account, which the swift-object-expirer daemon walks
to delete what is due; here the listing row carries `delete_at` instead, and the pass
(`Expirer.run`) deletes what is due from the object servers and the listings. The proxy
runs it for one container before listing, HEADing or deleting it, and for one account
before listing or HEADing that, so listings and counts never show an expired object.
"""

from __future__ import annotations

import logging
import time

from minicloud.common import errors

LOG = logging.getLogger(__name__)
MAX_DELETE_AT = 9999999999  # Swift's delete-at timestamps are 10 digits


def _integer(value: str, header: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise errors.BadRequest(f"Non-integer {header}") from None


def delete_at(req, now: float | None = None) -> int | None:
    """The request's expiry as an X-Delete-At value, or None; 400 as Swift answers for a
    value that is not an integer or is not in the future."""
    now = time.time() if now is None else now
    after, at = req.get_header("X-Delete-After"), req.get_header("X-Delete-At")
    if after is not None:
        value = min(max(0, int(now + _integer(after, "X-Delete-After"))), MAX_DELETE_AT)
        if value <= now:
            raise errors.BadRequest("X-Delete-After in past")
        return value
    if at is not None:
        value = min(max(0, _integer(at, "X-Delete-At")), MAX_DELETE_AT)
        if value <= now:
            raise errors.BadRequest("X-Delete-At in past")
        return value
    return None


def expired(meta: dict, now: float | None = None) -> bool:
    """True when an object's metadata says it is past its X-Delete-At."""
    value = meta.get("X-Delete-At")
    if not value:
        return False
    try:
        return int(value) <= (time.time() if now is None else now)
    except ValueError:
        return False


class Expirer:
    """Deletes the objects whose time has come: from the object servers (with
    `X-If-Delete-At`, so a newer version without that expiry is kept) and from the
    listings."""

    def __init__(self, store, controller):
        self.store, self.controller = store, controller

    def run(self, account: str | None = None, container: str | None = None,
            now: float | None = None) -> int:
        """One pass over what is due (in one account or container); how many went."""
        now = time.time() if now is None else now
        gone = 0
        for row in self.store.due_objects(now, account, container):
            path = (row["account"], row["container"], row["name"])
            status = self.controller.delete(path, timestamp=row["delete_at"],
                                            headers={"X-If-Delete-At": str(row["delete_at"])})
            if status == 503:  # too few object servers answered: next pass
                LOG.info("expiring %s: object servers unavailable", "/".join(path))
                continue
            gone += self.store.expire_object(*path, row["delete_at"])
        return gone
