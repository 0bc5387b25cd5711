"""`/v1/AUTH_<project>` and `/v1/AUTH_<project>/<container>`: the account and container
layer (`swift stat`, `swift list`, `openstack container ...`), served from store.py."""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.object import constraints, views
from minicloud.object.store import ObjectStore


def check_account(req, account: str) -> None:
    """The caller's own account only (`AUTH_<project_id>`), unless they are an admin."""
    ctx = req.context.ctx
    if not account.startswith("AUTH_") or len(account) > constraints.MAX_ACCOUNT_NAME_LENGTH:
        raise errors.BadRequest("Invalid account")
    if not ctx.is_admin and account != f"AUTH_{ctx.project_id}":
        raise errors.Forbidden("Forbidden")


def _meta_headers(resp, meta: dict) -> None:
    for key, value in meta.items():
        resp.set_header(key, value)


class Account:
    def __init__(self, store: ObjectStore):
        self.store = store

    def _headers(self, req, resp, account: str) -> None:
        check_account(req, account)
        acc = self.store.account(account, views.now_timestamp())
        resp.set_header("X-Account-Container-Count", str(acc["containers"]))
        resp.set_header("X-Account-Object-Count", str(acc["objects"]))
        resp.set_header("X-Account-Bytes-Used", str(acc["bytes"]))
        resp.set_header("X-Account-Storage-Policy-Policy-0-Container-Count",
                        str(acc["containers"]))
        resp.set_header("X-Account-Storage-Policy-Policy-0-Object-Count", str(acc["objects"]))
        resp.set_header("X-Account-Storage-Policy-Policy-0-Bytes-Used", str(acc["bytes"]))
        resp.set_header("X-Timestamp", acc["created_at"])
        resp.set_header("X-Put-Timestamp", acc["created_at"])
        _meta_headers(resp, acc["meta"])
        resp.content_type = "text/plain; charset=utf-8"

    def on_head(self, req, resp, account):
        self._headers(req, resp, account)
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, account):
        self._headers(req, resp, account)
        params = constraints.listing_params(req, constraints.ACCOUNT_LISTING_LIMIT)
        rows = self.store.list_containers(account, **params)
        views.listing(req, resp, [views.container_entry(r) for r in rows])

    def on_post(self, req, resp, account):
        check_account(req, account)
        self.store.set_account_meta(account, constraints.metadata(req.headers, "account"),
                                    views.now_timestamp())
        resp.status = falcon.HTTP_204


class Container:
    def __init__(self, store: ObjectStore):
        self.store = store

    def _existing(self, req, account: str, name: str) -> dict:
        check_account(req, account)
        constraints.check_container_name(name)
        container = self.store.container(account, name)
        if container is None:
            raise errors.NotFound("Not Found")
        return container

    def _headers(self, resp, c: dict) -> None:
        resp.set_header("X-Container-Object-Count", str(c["object_count"]))
        resp.set_header("X-Container-Bytes-Used", str(c["bytes_used"]))
        resp.set_header("X-Storage-Policy", "Policy-0")
        resp.set_header("X-Timestamp", c["created_at"])
        resp.set_header("X-Put-Timestamp", c["put_timestamp"])
        resp.set_header("Last-Modified", views.http_date(c["put_timestamp"]))
        _meta_headers(resp, c["meta"])
        resp.content_type = "text/plain; charset=utf-8"

    def on_put(self, req, resp, account, container):
        check_account(req, account)
        constraints.check_container_name(container)
        meta = constraints.metadata(req.headers, "container")
        self.store.account(account, views.now_timestamp())
        created = self.store.create_container(account, container, views.now_timestamp(),
                                              {k: v for k, v in meta.items() if v != ""})
        resp.status = falcon.HTTP_201 if created else falcon.HTTP_202
        resp.content_type = "text/html; charset=UTF-8"

    def on_head(self, req, resp, account, container):
        self._headers(resp, self._existing(req, account, container))
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, account, container):
        c = self._existing(req, account, container)
        self._headers(resp, c)
        params = constraints.listing_params(req, constraints.CONTAINER_LISTING_LIMIT)
        rows = self.store.list_objects(account, container, **params)
        views.listing(req, resp, [views.object_entry(r) for r in rows])

    def on_post(self, req, resp, account, container):
        self._existing(req, account, container)
        self.store.set_container_meta(account, container,
                                      constraints.metadata(req.headers, "container"))
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, account, container):
        check_account(req, account)
        constraints.check_container_name(container)
        outcome = self.store.delete_container(account, container)
        if outcome == "missing":
            raise errors.NotFound("Not Found")
        if outcome == "not empty":
            raise errors.Conflict("There was a conflict when trying to complete your request.")
        resp.status = falcon.HTTP_204
