"""The per-project quota limits (common/quota_store.py) as Nova, Neutron and Cinder keep
them: QuotaLimits mixed into a Database whose schema has QUOTAS_TABLE, on a temp file."""

from __future__ import annotations

import pytest

from minicloud.common.db import Database
from minicloud.common.quota_store import QUOTAS_TABLE, QuotaLimits


class Store(QuotaLimits, Database):
    """A service store reduced to its quota table."""


def schema(db) -> None:
    db.conn.executescript(QUOTAS_TABLE)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "svc.db", schema)


def test_a_project_without_limits_has_none(store):
    assert store.quota_limits("p1") == {}
    assert store.quota_limit("p1", "instances") is None
    assert store.quota_projects() == []


def test_set_limits_read_back_per_resource(store):
    store.set_quota_limit("p1", "instances", 20)
    store.set_quota_limit("p1", "cores", 40)
    assert store.quota_limits("p1") == {"instances": 20, "cores": 40}
    assert store.quota_limit("p1", "cores") == 40
    assert store.quota_limit("p1", "ram") is None  # still the default


@pytest.mark.parametrize("limit", [0, -1])
def test_zero_and_unlimited_are_limits_not_defaults(store, limit):
    store.set_quota_limit("p1", "instances", limit)
    assert store.quota_limit("p1", "instances") == limit


def test_setting_a_limit_again_replaces_it(store):
    store.set_quota_limit("p1", "instances", 20)
    store.set_quota_limit("p1", "cores", 40)
    store.set_quota_limit("p1", "instances", 5)
    assert store.quota_limits("p1") == {"instances": 5, "cores": 40}


def test_projects_do_not_share_limits(store):
    store.set_quota_limit("p1", "instances", 20)
    store.set_quota_limit("p2", "instances", 3)
    assert store.quota_limit("p1", "instances") == 20
    assert store.quota_limit("p2", "instances") == 3


def test_delete_returns_one_project_to_the_defaults(store):
    store.set_quota_limit("p1", "instances", 20)
    store.set_quota_limit("p1", "cores", 40)
    store.set_quota_limit("p2", "instances", 3)
    store.delete_quota_limits("p1")
    assert store.quota_limits("p1") == {}
    assert store.quota_limits("p2") == {"instances": 3}
    store.delete_quota_limits("p1")  # deleting again is harmless
    store.delete_quota_limits("never-had-any")


def test_quota_projects_lists_each_project_once_sorted(store):
    for project, resource in [("p2", "cores"), ("p1", "ram"), ("p2", "instances"),
                              ("p3", "ram")]:
        store.set_quota_limit(project, resource, 1)
    store.delete_quota_limits("p3")
    assert store.quota_projects() == ["p1", "p2"]


def test_limits_survive_reopening_the_database(store, tmp_path):
    store.set_quota_limit("p1", "instances", 7)
    reopened = Store(tmp_path / "svc.db", schema)  # the schema is applied again: IF NOT EXISTS
    assert reopened.quota_limits("p1") == {"instances": 7}


def test_a_limit_set_in_a_failed_transaction_is_rolled_back(store):
    """Services check and set quotas inside `transaction()`; a failure undoes the set."""
    store.set_quota_limit("p1", "instances", 20)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.set_quota_limit("p1", "instances", 1)
            store.set_quota_limit("p1", "cores", 1)
            assert store.quota_limits("p1") == {"instances": 1, "cores": 1}
            raise RuntimeError("quota check failed")
    assert store.quota_limits("p1") == {"instances": 20}


def test_a_limit_set_in_a_committed_transaction_is_kept(store, tmp_path):
    with store.transaction():
        store.set_quota_limit("p1", "instances", 4)
        store.delete_quota_limits("p2")
    assert Store(tmp_path / "svc.db", schema).quota_limits("p1") == {"instances": 4}
