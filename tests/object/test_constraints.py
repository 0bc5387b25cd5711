"""What Swift refuses before anything is stored: ACLs, account ACLs, expiry headers."""

import falcon.testing
import pytest

from minicloud.common import errors
from minicloud.object import constraints, expirer


def test_container_acls_are_cleaned_or_refused_as_swift_does():
    clean = constraints.clean_container_acl
    assert clean("X-Container-Read", " bob , sue,,") == "bob,sue"
    assert clean("X-Container-Read", ".referrer : *, .rlistings") == ".r:*,.rlistings"
    assert clean("X-Container-Read", ".ref:*.example.com") == ".r:.example.com"
    assert clean("X-Container-Read", ".r:-thief.com") == ".r:-thief.com"
    for name, bad in (("X-Container-Read", ".r:"), ("X-Container-Read", ".r:-"),
                      ("X-Container-Write", ".r:*"), ("X-Container-Read", ".x:y")):
        with pytest.raises(errors.BadRequest):
            clean(name, bad)


def test_account_acls_must_be_json_lists_of_strings():
    assert constraints.check_account_acl('{"read-only": ["p:u"]}')
    assert constraints.check_account_acl("") == ""  # removes it
    for bad in ("nope", "[]", '{"owner": []}', '{"admin": "bob"}', '{"admin": [1]}'):
        with pytest.raises(errors.BadRequest):
            constraints.check_account_acl(bad)


def request(**headers):
    env = falcon.testing.create_environ(headers={k.replace("_", "-"): v
                                                 for k, v in headers.items()})
    return falcon.Request(env)


def test_delete_at_and_after():
    now = 1000.5
    assert expirer.delete_at(request(), now) is None
    assert expirer.delete_at(request(X_Delete_After="10"), now) == 1010
    assert expirer.delete_at(request(X_Delete_At="2000"), now) == 2000
    assert expirer.delete_at(request(X_Delete_At="99999999999"), now) == 9999999999
    for bad in ({"X_Delete_After": "0"}, {"X_Delete_After": "-1"}, {"X_Delete_After": "1.5"},
                {"X_Delete_At": "1000"}, {"X_Delete_At": "soon"}):
        with pytest.raises(errors.BadRequest):
            expirer.delete_at(request(**bad), now)


def test_header_lines_longer_than_swift_allows():
    constraints.check_headers(request(X_Object_Meta_A="v" * 8000))
    with pytest.raises(errors.BadRequest):
        constraints.check_headers(request(Content_Type="v" * 8200))
