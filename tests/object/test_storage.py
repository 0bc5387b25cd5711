"""One storage node's object server: files, timestamps, tombstones, no path escapes."""

import hashlib
import io
import time

import requests

from minicloud.object.storage import Disk, normalize_timestamp

H = "0123456789abcdef0123456789abcdef"


def url(node, part=3, h=H):
    return f"http://127.0.0.1:{node.port}/sdb1/{part}/{h}"


def put(node, body=b"data", ts=1000.0, **headers):
    return requests.put(url(node), data=body, headers={
        "X-Timestamp": normalize_timestamp(ts), "X-Object-Name": "/AUTH_p/c/o", **headers})


def test_put_get_head_keeps_bytes_and_metadata(nodes):
    node = nodes["storage1"]
    r = put(node, b"hello", **{"X-Object-Meta-Color": "blue", "Content-Type": "text/plain"})
    assert r.status_code == 201
    assert r.headers["ETag"] == hashlib.md5(b"hello").hexdigest()
    got = requests.get(url(node))
    assert got.status_code == 200 and got.content == b"hello"
    assert got.headers["X-Object-Meta-Color"] == "blue"
    assert got.headers["Content-Type"] == "text/plain"
    head = requests.head(url(node))
    assert head.headers["Content-Length"] == "5"
    files = sorted(p.name for p in (node.disk.root / "objects" / "3" / H[-3:] / H).iterdir())
    expected = [f"{normalize_timestamp(1000)}.data"]
    if not node.disk.xattrs:
        expected.append(f"{normalize_timestamp(1000)}.meta")
    assert files == expected


def test_older_timestamp_loses_newer_replaces(nodes):
    node = nodes["storage1"]
    put(node, b"v2", ts=2000)
    assert put(node, b"v1", ts=1000).status_code == 409
    assert requests.get(url(node)).content == b"v2"
    assert put(node, b"v3", ts=3000).status_code == 201
    assert requests.get(url(node)).content == b"v3"
    assert node.object_files() == 1  # the older .data was removed


def test_delete_leaves_a_tombstone(nodes):
    node = nodes["storage1"]
    put(node, ts=1000)
    r = requests.delete(url(node), headers={"X-Timestamp": normalize_timestamp(2000)})
    assert r.status_code == 204
    assert requests.get(url(node)).status_code == 404
    listing = requests.get(f"http://127.0.0.1:{node.port}/sdb1/3").json()
    assert listing[H]["deleted"] is True
    assert put(node, ts=1500).status_code == 409  # an old write cannot resurrect it


def test_wrong_etag_stores_nothing(nodes):
    node = nodes["storage1"]
    assert put(node, b"abc", ETag="0" * 32).status_code == 422
    assert requests.get(url(node)).status_code == 404
    assert list((node.disk.root / "tmp").iterdir()) == []


def test_post_replaces_user_metadata(nodes):
    node = nodes["storage1"]
    put(node, **{"X-Object-Meta-A": "1"})
    r = requests.post(url(node), headers={"X-Timestamp": normalize_timestamp(2000),
                                          "X-Object-Meta-B": "2"})
    assert r.status_code == 202
    got = requests.head(url(node)).headers
    assert got["X-Object-Meta-B"] == "2" and "X-Object-Meta-A" not in got


def test_paths_outside_the_device_are_refused(nodes, tmp_path):
    node = nodes["storage1"]
    base = f"http://127.0.0.1:{node.port}"
    for path in ("/sdb1/3/..%2F..%2Fetc", "/other/3/" + H, "/sdb1/x/" + H, "/sdb1/3/NOTHEX"):
        r = requests.put(base + path, data=b"x", headers={"X-Timestamp": "1"})
        assert r.status_code in (400, 404), path
    assert not any(p.name == "etc" for p in tmp_path.rglob("etc"))


def test_sidecar_metadata_where_there_are_no_xattrs(nodes):
    node = nodes["storage1"]
    node.disk.xattrs = False
    put(node, b"abc", **{"X-Object-Meta-Color": "red"})
    assert requests.head(url(node)).headers["X-Object-Meta-Color"] == "red"
    directory = node.disk.root / "objects" / "3" / H[-3:] / H
    assert sorted(p.suffix for p in directory.iterdir()) == [".data", ".meta"]
    r = requests.delete(url(node), headers={"X-Timestamp": normalize_timestamp(2000)})
    assert r.status_code == 204
    assert sorted(p.suffix for p in directory.iterdir()) == [".meta", ".ts"]


def test_stop_and_start_again(nodes):
    node = nodes["storage2"]
    put(node)
    node.stop()
    try:
        requests.get(url(node), timeout=1)
        reached = True
    except requests.ConnectionError:
        reached = False
    assert not reached
    node.start()
    assert requests.get(url(node)).status_code == 200


def test_a_taken_port_falls_back_to_a_free_one_and_tells_the_ring(tmp_path):
    import socket

    from minicloud.common.trace import Tracer
    from minicloud.object.storage import StorageNode

    with socket.socket() as taken, socket.socket() as taken2:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        node = StorageNode("storage9", tmp_path, "127.0.0.1", port, Tracer(None)).start()
        try:
            assert node.port != port
            moved = []
            node.on_port_change = lambda: moved.append(node.port)
            node.stop()
            taken2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            for _ in range(100):  # the stopped server lets go of its socket asynchronously
                try:
                    taken2.bind(("127.0.0.1", node.port))  # someone takes its port meanwhile
                    break
                except OSError:
                    time.sleep(0.05)
            taken2.listen()
            node.start()
            assert moved == [node.port]
            assert put(node).status_code == 201
            assert requests.get(url(node)).status_code == 200
        finally:
            node.stop()


def test_a_replaced_small_file_becomes_the_next_writes_file(nodes):
    """Spares: the inode of a replaced version is reused, with none of its old bytes."""
    node = nodes["storage1"]
    put(node, b"a much longer first version", ts=1000)
    first = next((node.disk.root / "objects").rglob("*.data")).stat().st_ino
    put(node, b"v2", ts=2000)  # the first version's file becomes a spare...
    spares = list(node.disk.tmp.glob("spare-*"))
    assert [p.stat().st_ino for p in spares] == [first]
    put(node, b"v3", ts=3000)  # ...and holds the third version, cut to its length
    third = next((node.disk.root / "objects").rglob("*.data"))
    assert third.stat().st_ino == first
    assert requests.get(url(node)).content == b"v3"
    assert node.object_files() == 1


def test_a_file_being_read_is_not_reused(tmp_path):
    disk = Disk(tmp_path, "sdb1")

    def write(body, ts):
        meta = {"X-Timestamp": normalize_timestamp(ts), "X-Object-Name": "/AUTH_p/c/o"}
        disk.put(3, H, meta, io.BytesIO(body), len(body))

    write(b"first", 1000)
    reader = disk.open_object(disk.current(3, H)["path"])
    write(b"second", 2000)  # "first" would become a spare, but a reader has it open
    write(b"third!", 3000)  # so this write cannot land in it
    assert reader.read() == b"first"
    reader.close()
    assert len(list(disk.tmp.glob("spare-*"))) == 1  # "second" only


def test_a_big_replaced_file_is_deleted_not_kept(nodes):
    node = nodes["storage1"]
    put(node, b"y" * (200 * 1024), ts=1000)
    put(node, b"v2", ts=2000)
    assert list(node.disk.tmp.glob("spare-*")) == []


def test_ranges_and_conditions_at_the_object_server(nodes):
    node = nodes["storage1"]
    etag = put(node, b"0123456789", **{"Content-Type": "text/plain"}).headers["ETag"]
    r = requests.get(url(node), headers={"Range": "bytes=2-4"})
    assert (r.status_code, r.content, r.headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")
    r = requests.get(url(node), headers={"Range": "bytes=0-0,-2"})
    assert r.status_code == 206 and r.headers["Content-Type"].startswith("multipart/byteranges")
    assert b"Content-Range: bytes 8-9/10\r\n\r\n89\r\n" in r.content
    r = requests.get(url(node), headers={"Range": "bytes=10-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == "bytes */10"
    assert requests.head(url(node), headers={"Range": "bytes=2-4"}).status_code == 200
    assert requests.get(url(node), headers={"If-None-Match": etag}).status_code == 304
    assert requests.get(url(node), headers={"If-Match": "nope"}).status_code == 412
    put(node, b"", ts=2000)
    assert requests.get(url(node), headers={"Range": "bytes=-5"}).status_code == 200
    assert requests.get(url(node), headers={"Range": "bytes=0-"}).status_code == 416


def test_post_replaces_allowed_headers_too(nodes):
    node = nodes["storage1"]
    put(node, **{"Content-Disposition": "inline", "Content-Encoding": "gzip",
                 "X-Object-Meta-A": "1", "X-Delete-At": "9999999999"})
    got = requests.head(url(node)).headers
    assert (got["Content-Disposition"], got["Content-Encoding"]) == ("inline", "gzip")
    requests.post(url(node), headers={"X-Timestamp": normalize_timestamp(2000),
                                      "Content-Disposition": "attachment"})
    got = requests.head(url(node)).headers
    assert got["Content-Disposition"] == "attachment"
    assert "Content-Encoding" not in got and "X-Delete-At" not in got
    assert "X-Object-Meta-A" not in got


def test_expired_objects_are_gone_and_only_their_expiry_deletes_them(nodes):
    node = nodes["storage1"]
    past = str(int(time.time()) - 1)
    put(node, **{"X-Delete-At": past})
    assert requests.get(url(node)).status_code == 404
    assert requests.post(url(node), headers={"X-Timestamp": normalize_timestamp(2000)}
                         ).status_code == 404
    later = normalize_timestamp(time.time())
    r = requests.delete(url(node), headers={"X-Timestamp": later, "X-If-Delete-At": "123"})
    assert r.status_code == 412  # another expiry: the expirer leaves it
    r = requests.delete(url(node), headers={"X-Timestamp": later, "X-If-Delete-At": past})
    assert r.status_code == 404 and requests.get(f"http://127.0.0.1:{node.port}/sdb1/3"
                                                 ).json()[H]["deleted"] is True


def test_metadata_too_big_for_an_xattr_goes_to_a_sidecar(nodes):
    node = nodes["storage1"]
    big = "t/" + "x" * 7000  # ext4 keeps about 4 KiB of xattrs per file
    assert put(node, b"abc", **{"Content-Type": big}).status_code == 201
    assert requests.head(url(node)).headers["Content-Type"] == big
    assert put(node, b"abcd", ts=2000, **{"Content-Type": "text/plain"}).status_code == 201
    head = requests.head(url(node)).headers
    assert head["Content-Type"] == "text/plain" and head["Content-Length"] == "4"
