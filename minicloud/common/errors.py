"""API errors, raised by any service and rendered in that service's own error format.

A responder raises `NotFound("Could not find project: x.")`; the app's error format
(Keystone, Nova, Neutron, ... each has its own JSON shape) turns it into the body the
real clients parse. Every error is a Falcon HTTPError, so Falcon's own 404/405 go the
same way.
"""

from __future__ import annotations

import errno
import sqlite3

import falcon


class ApiError(falcon.HTTPError):
    status = falcon.HTTP_500
    title = "Internal Server Error"
    kind = "internalServerError"  # Nova/Cinder envelope key

    def __init__(self, message: str | None = None, *, kind: str | None = None, headers=None):
        super().__init__(self.status, title=self.title, description=message, headers=headers)
        if kind:
            self.kind = kind

    def __str__(self) -> str:
        return self.description or self.title


class BadRequest(ApiError):
    status, title, kind = falcon.HTTP_400, "Bad Request", "badRequest"


class Unauthorized(ApiError):
    status, title, kind = falcon.HTTP_401, "Unauthorized", "unauthorized"

    def __init__(self, message="The request you have made requires authentication.", **kw):
        super().__init__(message, **kw)


class Forbidden(ApiError):
    status, title, kind = falcon.HTTP_403, "Forbidden", "forbidden"

    def __init__(self, message="You are not authorized to perform the requested action.", **kw):
        super().__init__(message, **kw)


class NotFound(ApiError):
    status, title, kind = falcon.HTTP_404, "Not Found", "itemNotFound"


class Conflict(ApiError):
    status, title, kind = falcon.HTTP_409, "Conflict", "conflictingRequest"


class PayloadTooLarge(ApiError):
    status, title, kind = falcon.HTTP_413, "Request Entity Too Large", "overLimit"


class ServiceUnavailable(ApiError):
    """A service this request needs cannot be reached now (the message bus is down, say):
    nothing is wrong with the request, and the same request can succeed later."""
    status, title, kind = falcon.HTTP_503, "Service Unavailable", "serviceUnavailable"


class InsufficientStorage(ApiError):
    status, title, kind = "507 Insufficient Storage", "Insufficient Storage", "computeFault"

    def __init__(self, message="The cloud's disk is full: free some space and try again.",
                 **kw):
        super().__init__(message, **kw)


def disk_full(exc: BaseException) -> bool:
    """Did `exc` come from a full disk (a file write, or SQLite's own)?"""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or "disk is full" in str(exc))


def status_code(exc: falcon.HTTPError) -> int:
    return int(str(exc.status).split()[0])


DEFAULT_MESSAGES = {
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
}


def message_of(exc: falcon.HTTPError) -> str:
    return exc.description or DEFAULT_MESSAGES.get(status_code(exc)) or exc.title or str(exc.status)
