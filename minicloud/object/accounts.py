"""`/v1/AUTH_<project>` and `/v1/AUTH_<project>/<container>`: the account and container
layer (`swift stat`, `swift list`, `openstack container ...`), served from store.py."""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.object import constraints, views
from minicloud.object.core import Swift, check_account


def container_meta(req) -> dict:
    """A container PUT's or POST's metadata, checked: X-Container-Meta-* (an empty value or
    X-Remove-Container-Meta-* removes one: ""), quotas that must be numbers, ACLs that
    must parse (kept and shown, not enforced: see the package docstring) and a versions
    location that must name a container (accepted, not acted on)."""
    meta = constraints.metadata(req.headers, "container")
    constraints.check_quotas(meta)
    constraints.check_versions_location(req.get_header)
    for name in ("X-Container-Read", "X-Container-Write"):
        value = req.get_header(name)
        if value is not None:
            meta[name] = constraints.clean_container_acl(name, value)
        if req.get_header(name.replace("X-", "X-Remove-", 1)) is not None:
            meta[name] = ""
    return meta


def account_meta(req) -> dict:
    """An account POST's metadata, checked; `X-Account-Access-Control` must parse."""
    meta = constraints.metadata(req.headers, "account")
    acl = req.get_header("X-Account-Access-Control")
    if acl is not None:
        meta["X-Account-Access-Control"] = constraints.check_account_acl(acl)
    return meta


def _meta_headers(resp, meta: dict) -> None:
    for key, value in meta.items():
        resp.set_header(key, value)


class Account:
    def __init__(self, swift: Swift):
        self.store, self.expirer = swift.store, swift.expirer

    def _headers(self, req, resp, account: str) -> None:
        check_account(req, account)
        self.expirer.run(account)  # counts and listings without what has expired
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
        self.store.set_account_meta(account, account_meta(req), views.now_timestamp())
        resp.status = falcon.HTTP_204


class Container:
    def __init__(self, swift: Swift):
        self.store, self.expirer = swift.store, swift.expirer

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
        meta = container_meta(req)
        self.store.account(account, views.now_timestamp())
        created = self.store.create_container(account, container, views.now_timestamp(), meta)
        resp.status = falcon.HTTP_201 if created else falcon.HTTP_202
        resp.content_type = "text/html; charset=UTF-8"

    def on_head(self, req, resp, account, container):
        check_account(req, account)
        self.expirer.run(account, container)  # counts without what has expired
        self._headers(resp, self._existing(req, account, container))
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, account, container):
        check_account(req, account)
        self.expirer.run(account, container)  # the listing without what has expired
        c = self._existing(req, account, container)
        self._headers(resp, c)
        params = constraints.listing_params(req, constraints.CONTAINER_LISTING_LIMIT)
        rows = self.store.list_objects(account, container, **params)
        views.listing(req, resp, [views.object_entry(r) for r in rows])

    def on_post(self, req, resp, account, container):
        self._existing(req, account, container)
        self.store.set_container_meta(account, container, container_meta(req))
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, account, container):
        check_account(req, account)
        constraints.check_container_name(container)
        self.expirer.run(account, container)  # expired objects do not keep it "not empty"
        outcome = self.store.delete_container(account, container)
        if outcome == "missing":
            raise errors.NotFound("Not Found")
        if outcome == "not empty":
            raise errors.Conflict("There was a conflict when trying to complete your request.")
        resp.status = falcon.HTTP_204
