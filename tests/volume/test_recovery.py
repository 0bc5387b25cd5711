"""After a crash, Cinder settles what was under way (volume/recovery.py): a volume left
`creating` is created again, an unfinished attach goes back to `available`, a detach to
`in-use`, and an interrupted delete is sent to the storage node again and completes."""

from minicloud.volume.recovery import redo, settle_interrupted
from tests.fakes import wait_for


def _as_if_crashed(env, volume_id: str, status: str) -> None:
    env.store.update_volume(volume_id, {"status": status})


def test_work_under_way_gets_a_steady_status(env, demo):
    attaching = demo.create_volume()
    detaching = demo.create_volume()
    _as_if_crashed(env, attaching["id"], "attaching")
    _as_if_crashed(env, detaching["id"], "detaching")
    env.store.insert_attachment({"id": "att-1", "volume_id": detaching["id"],
                                 "project_id": "p-demo", "instance_uuid": "srv-1",
                                 "attach_status": "attached", "created_at": "2026-01-01"})
    assert settle_interrupted(env.cinder) == []
    assert demo.volume(attaching["id"])["status"] == "available"
    assert demo.volume(detaching["id"])["status"] == "in-use"


def test_an_accepted_create_is_finished_after_the_restart(env, demo):
    volume = demo.create_volume()
    env.backend.path(volume["id"]).write_bytes(b"half")  # what the crash left
    env.store.update_volume(volume["id"], {"status": "downloading", "host": None})
    interrupted = settle_interrupted(env.cinder)
    assert [(v["id"], v["status"]) for v in interrupted] == [(volume["id"], "creating")]
    redo(env.cinder, interrupted)
    assert wait_for(lambda: demo.volume(volume["id"])["status"] == "available")
    assert env.backend.path(volume["id"]).stat().st_size == 1024 ** 3


def test_an_interrupted_delete_is_finished_after_the_restart(env, demo):
    volume = demo.create_volume()
    assert env.backend.path(volume["id"]).exists()
    _as_if_crashed(env, volume["id"], "deleting")
    interrupted = settle_interrupted(env.cinder)
    assert [d["id"] for d in interrupted] == [volume["id"]]
    redo(env.cinder, interrupted)
    assert wait_for(lambda: env.store.volume(volume["id"]) is None)
    assert not env.backend.path(volume["id"]).exists()
    assert demo.get(f"/volumes/{volume['id']}").status_code == 404
