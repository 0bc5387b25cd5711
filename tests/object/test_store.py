"""The account/container layer: listing rows and the counts their triggers keep."""

from minicloud.object.store import ObjectStore


def test_counts_follow_puts_overwrites_and_deletes(tmp_path):
    store = ObjectStore(tmp_path / "object.db")
    store.create_container("AUTH_p", "c", "0000000001.00000", {})
    store.put_object("AUTH_p", "c", "a", "0000000002.00000", 10, "e1", "text/plain")
    store.put_object("AUTH_p", "c", "b", "0000000002.00000", 5, "e2", "text/plain")
    store.put_object("AUTH_p", "c", "a", "0000000003.00000", 7, "e3", "text/plain")
    store.put_object("AUTH_p", "c", "a", "0000000001.50000", 99, "old", "text/plain")  # loses
    c = store.container("AUTH_p", "c")
    assert (c["object_count"], c["bytes_used"]) == (2, 12)
    assert [o["etag"] for o in store.list_objects("AUTH_p", "c", limit=10)] == ["e3", "e2"]
    assert store.delete_object("AUTH_p", "c", "a") is True
    assert store.delete_object("AUTH_p", "c", "a") is False
    c = store.container("AUTH_p", "c")
    assert (c["object_count"], c["bytes_used"]) == (1, 5)


def test_a_deleted_container_is_forgotten_at_once(tmp_path):
    store = ObjectStore(tmp_path / "object.db")
    store.create_container("AUTH_p", "c", "0000000001.00000", {})
    assert store.container_exists("AUTH_p", "c")
    assert store.delete_container("AUTH_p", "c") == "deleted"
    assert not store.container_exists("AUTH_p", "c")


def test_due_objects_and_their_expiry(tmp_path):
    store = ObjectStore(tmp_path / "object.db")
    store.create_container("AUTH_p", "c", "0000000001.00000", {})
    store.put_object("AUTH_p", "c", "soon", "0000000002.00000", 1, "e", "t", delete_at=100)
    store.put_object("AUTH_p", "c", "later", "0000000002.00000", 1, "e", "t", delete_at=300)
    store.put_object("AUTH_p", "c", "never", "0000000002.00000", 1, "e", "t")
    assert [r["name"] for r in store.due_objects(200)] == ["soon"]
    assert store.due_objects(200, "AUTH_other") == []
    store.update_object("AUTH_p", "c", "soon", None, 400)  # a POST moved its expiry
    assert store.expire_object("AUTH_p", "c", "soon", 100) == 0
    assert [r["name"] for r in store.due_objects(500, "AUTH_p", "c")] == ["later", "soon"]
    assert store.expire_object("AUTH_p", "c", "later", 300) == 1
    assert store.container("AUTH_p", "c")["object_count"] == 2


def test_a_database_from_before_expiring_objects_gets_the_column(tmp_path):
    import sqlite3

    old = sqlite3.connect(tmp_path / "object.db")
    old.execute("CREATE TABLE objects (account TEXT NOT NULL, container TEXT NOT NULL, "
                "name TEXT NOT NULL, timestamp TEXT NOT NULL, size INTEGER NOT NULL, "
                "etag TEXT NOT NULL, content_type TEXT NOT NULL, "
                "PRIMARY KEY (account, container, name))")
    old.commit()
    old.close()
    store = ObjectStore(tmp_path / "object.db")
    store.put_object("AUTH_p", "c", "o", "0000000002.00000", 1, "e", "t", delete_at=5)
    assert [r["name"] for r in store.due_objects(10)] == ["o"]
