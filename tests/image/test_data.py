"""Image bytes: upload, hashes, the status life cycle, failed uploads, download."""

from __future__ import annotations

import errno
import hashlib
import io
import os

import pytest

from minicloud.image.bootstrap import bootstrap, cirros_bytes
from minicloud.image.files import FileStore, TooLarge
from tests.image.conftest import SIZE_LIMIT, build, payload


def test_upload_activates_with_size_and_hashes(glance):
    image = glance.demo.create(name="x")
    data = payload(40_000)
    result = glance.demo.upload(image["id"], data, {"X-Openstack-Image-Size": str(len(data))})
    assert result.status_code == 204
    shown = glance.demo.get(f"/v2/images/{image['id']}").json
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["virtual_size"] == len(data)  # raw
    assert glance.files.names() == [image["id"]]


def test_download_gives_the_bytes_back(glance):
    image = glance.demo.create(name="x")
    data = payload(3 * 1024 * 1024 // 64)
    glance.demo.upload(image["id"], data)
    result = glance.other.get(f"/v2/images/{image['id']}/file")
    assert result.status_code == 404  # not theirs and not public
    result = glance.demo.get(f"/v2/images/{image['id']}/file")
    assert result.status_code == 200 and result.content == data
    assert result.headers["content-type"] == "application/octet-stream"
    assert result.headers["content-length"] == str(len(data))
    assert result.headers["content-md5"] == hashlib.md5(data).hexdigest()


def test_download_of_an_image_without_data_is_204(glance):
    image = glance.demo.create(name="x")
    result = glance.demo.get(f"/v2/images/{image['id']}/file")
    assert result.status_code == 204 and result.content == b""


def test_uploading_twice_is_a_conflict(glance):
    image = glance.demo.create(name="x")
    assert glance.demo.upload(image["id"], b"one").status_code == 204
    result = glance.demo.upload(image["id"], b"two")
    assert result.status_code == 409 and result.json["code"] == "409 Conflict"
    assert glance.demo.get(f"/v2/images/{image['id']}/file").content == b"one"


def test_only_the_owner_uploads(glance):
    community = glance.demo.create(name="x", visibility="community")
    assert glance.other.upload(community["id"], b"data").status_code == 403
    private = glance.demo.create(name="y", visibility="private")
    assert glance.other.upload(private["id"], b"data").status_code == 404
    assert glance.files.names() == []


def assert_left_nothing(glance, image_id):
    shown = glance.demo.get(f"/v2/images/{image_id}").json
    assert shown["status"] == "queued" and shown["size"] is None and shown["checksum"] is None
    assert glance.files.names() == []


def test_upload_over_the_limit_is_413_and_leaves_nothing(glance):
    image = glance.demo.create(name="big")
    result = glance.demo.upload(image["id"], payload(SIZE_LIMIT + 1))
    assert result.status_code == 413
    assert result.json["title"] == "Request Entity Too Large"
    assert_left_nothing(glance, image["id"])
    announced = glance.demo.upload(image["id"], b"small", {
        "X-Openstack-Image-Size": str(SIZE_LIMIT + 1)})
    assert announced.status_code == 413
    assert_left_nothing(glance, image["id"])
    # the image is still usable
    assert glance.demo.upload(image["id"], payload(SIZE_LIMIT)).status_code == 204


def test_size_mismatch_is_400_and_leaves_nothing(glance):
    image = glance.demo.create(name="x")
    result = glance.demo.upload(image["id"], b"12345", {"X-Openstack-Image-Size": "6"})
    assert result.status_code == 400 and "mismatch" in result.json["message"]
    assert_left_nothing(glance, image["id"])


class Disconnects(io.RawIOBase):
    """A request body whose client goes away after some bytes."""

    def __init__(self, good: int):
        self.left = good

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left, 1000)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_interrupted_upload_goes_back_to_queued(glance):
    image = glance.demo.create(name="x")
    result = glance.demo.put(f"/v2/images/{image['id']}/file", headers={
        "Content-Type": "application/octet-stream", "Content-Length": "50000"},
        extras={"wsgi.input": io.BufferedReader(Disconnects(20_000))})
    assert result.status_code == 500  # what the (gone) client would have been told
    assert_left_nothing(glance, image["id"])


def test_upload_needs_octet_stream(glance):
    image = glance.demo.create(name="x")
    result = glance.demo.put(f"/v2/images/{image['id']}/file", body=b"{}",
                             headers={"Content-Type": "application/json"})
    assert result.status_code == 400


def test_deleting_an_image_removes_its_file(glance):
    image = glance.demo.create(name="x")
    glance.demo.upload(image["id"], b"data")
    assert glance.demo.delete(f"/v2/images/{image['id']}").status_code == 204
    assert glance.demo.get(f"/v2/images/{image['id']}").status_code == 404
    assert glance.files.names() == []


def test_qcow2_virtual_size_comes_from_its_header(glance):
    image = glance.demo.create(name="c", disk_format="qcow2")
    assert glance.demo.upload(image["id"], cirros_bytes()[:4096]).status_code == 204
    assert glance.demo.get(f"/v2/images/{image['id']}").json["virtual_size"] == 112 * 2**20


# -- the file store and bootstrap on their own -------------------------------------------------
def test_file_store_streams_in_chunks_and_stops_past_the_limit(tmp_path):
    files = FileStore(tmp_path)
    reads = []

    class Source(io.BytesIO):
        def readinto(self, buffer):
            reads.append(len(buffer))
            return super().readinto(buffer)

    upload = files.receive("i1", Source(payload(3 * 2**20)), limit=2**30)
    assert set(reads) == {2**20} and len(reads) == 4  # never "read everything"
    assert upload.checksum == hashlib.md5(payload(3 * 2**20)).hexdigest()
    assert upload.sha512 == hashlib.sha512(payload(3 * 2**20)).hexdigest()
    files.commit(upload, "i1")
    with files.open("i1") as stored:
        assert stored.read() == payload(3 * 2**20)
    with pytest.raises(TooLarge):
        files.receive("i2", io.BytesIO(payload(2**20 + 1)), limit=2**20)
    assert files.names() == ["i1"]


def test_hashes_of_odd_sized_chunks_are_right(tmp_path):
    class Dribble(io.RawIOBase):  # returns fewer bytes than asked, like a socket
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readinto(self, buffer):
            return self.data.readinto(buffer[:777])

    data = payload(2**20 * 2 + 12345)
    upload = FileStore(tmp_path).receive("i", Dribble(data), limit=2**30)
    assert upload.size == len(data)
    assert upload.sha512 == hashlib.sha512(data).hexdigest()


def test_body_shorter_than_its_content_length_is_400(glance):
    image = glance.demo.create(name="x")
    result = glance.demo.put(f"/v2/images/{image['id']}/file", headers={
        "Content-Type": "application/octet-stream", "Content-Length": "10"},
        extras={"wsgi.input": io.BytesIO(b"abc")})
    assert result.status_code == 400 and "cut short" in result.json["message"]
    assert_left_nothing(glance, image["id"])


def test_file_store_removes_stale_partial_uploads(tmp_path):
    (tmp_path / ".abc.123.part").write_bytes(b"half")
    assert FileStore(tmp_path).names() == []


def test_bootstrap_registers_a_public_cirros_once(glance):
    asked = []

    def owner():
        asked.append(1)
        return "p-admin"

    bootstrap(glance.service, owner)
    bootstrap(glance.service, owner)
    images = glance.other.get("/v2/images?name=cirros").json["images"]
    assert len(images) == 1 and asked == [1]
    cirros = images[0]
    assert cirros["visibility"] == "public" and cirros["status"] == "active"
    assert cirros["owner"] == "p-admin" and cirros["disk_format"] == "qcow2"
    assert cirros["container_format"] == "bare"
    assert 100_000 < cirros["size"] < 1_000_000
    assert cirros["checksum"] == hashlib.md5(cirros_bytes()).hexdigest()
    glance.admin.delete(f"/v2/images/{cirros['id']}")
    bootstrap(glance.service, owner)  # deleted stays deleted
    assert glance.other.get("/v2/images?name=cirros").json["images"] == []


def test_bootstrap_puts_interrupted_uploads_back_to_queued(glance):
    image = glance.demo.create(name="x")
    glance.store.move_status(image["id"], "queued", "saving")
    bootstrap(glance.service, lambda: "p-admin")
    assert glance.demo.get(f"/v2/images/{image['id']}").json["status"] == "queued"


# -- the store failing: a full disk, a read-only one -------------------------------------------
class Disk:
    """An opener for the file store whose files hold `room` bytes in all, then fail with
    `error` as the kernel's write(2) would (ENOSPC: the disk is full)."""

    def __init__(self, room: int, error: int = errno.ENOSPC):
        self.room, self.error, self.opened = room, error, []

    def __call__(self, path, mode):
        self.opened.append(path)
        return CappedFile(open(path, mode), self)


class CappedFile:
    def __init__(self, file, disk: Disk):
        self.file, self.disk = file, disk

    def write(self, data) -> int:
        if len(data) > self.disk.room:
            raise OSError(self.disk.error, os.strerror(self.disk.error))
        self.disk.room -= len(data)
        return self.file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()


def test_full_disk_is_413_leaves_a_queued_image_and_works_once_space_is_freed(tmp_path):
    disk = Disk(room=1000)
    glance = build(tmp_path, opener=disk)
    image = glance.demo.create(name="x")
    data = payload(40_000)
    result = glance.demo.upload(image["id"], data)
    assert result.status_code == 413
    assert result.json == {
        "message": "Image storage media is full: There is not enough disk space on the "
                   "image storage media.",
        "code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}
    assert disk.opened  # the fault came from the store's own write
    assert_left_nothing(glance, image["id"])
    disk.room = 10**9  # space freed: the same upload now works
    assert glance.demo.upload(image["id"], data).status_code == 204
    shown = glance.demo.get(f"/v2/images/{image['id']}").json
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert glance.demo.get(f"/v2/images/{image['id']}/file").content == data


@pytest.mark.parametrize("error", [errno.EDQUOT, errno.EFBIG])
def test_quota_and_file_size_errors_count_as_a_full_disk(tmp_path, error):
    glance = build(tmp_path, opener=Disk(room=0, error=error))
    image = glance.demo.create(name="x")
    result = glance.demo.upload(image["id"], b"data")
    assert result.status_code == 413 and "storage media is full" in result.json["message"]
    assert_left_nothing(glance, image["id"])


def test_store_without_write_permission_is_503(tmp_path):
    glance = build(tmp_path, opener=Disk(room=0, error=errno.EACCES))
    image = glance.demo.create(name="x")
    result = glance.demo.upload(image["id"], b"data")
    assert result.status_code == 503 and result.json["title"] == "Service Unavailable"
    assert "Insufficient permissions on image storage media" in result.json["message"]
    assert_left_nothing(glance, image["id"])


def test_other_store_errors_are_500_and_still_leave_nothing(tmp_path):
    glance = build(tmp_path, opener=Disk(room=0, error=errno.EIO))
    image = glance.demo.create(name="x")
    result = glance.demo.upload(image["id"], b"data")
    assert result.status_code == 500 and result.json["code"] == "500 Internal Server Error"
    assert_left_nothing(glance, image["id"])
