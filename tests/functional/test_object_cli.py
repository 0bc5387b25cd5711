"""Swift through the real clients: `openstack container|object ...`, the `swift` CLI, and
plain HTTP where a client would not send what we test (a wrong ETag, a `..` segment)."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.parse

import pytest
import requests

from tests.livecloud import swift

TRANS_ID = re.compile(r"^tx[0-9a-f]{21}-[0-9a-f]{10}$")


@pytest.fixture(scope="module")
def demo(cloud):
    """(account URL, token) of the demo project, for raw HTTP calls."""
    conn = cloud.sdk()
    return conn.object_store.get_endpoint().rstrip("/"), conn.auth_token


def test_openstack_container_and_object_round_trip(cloud, tmp_path):
    src = tmp_path / "file.txt"
    src.write_bytes(b"hello swift\n" * 1000)
    created = cloud.cli_json("container", "create", "c1")
    assert created[0]["container"] == "c1" and TRANS_ID.match(created[0]["x-trans-id"])
    obj = cloud.cli_json("object", "create", "c1", str(src))
    assert obj[0]["etag"] == hashlib.md5(src.read_bytes()).hexdigest()
    names = [o["Name"] for o in cloud.cli_json("object", "list", "c1")]
    assert names == [str(src)]
    out = tmp_path / "saved.txt"
    cloud.cli("object", "save", "--file", str(out), "c1", str(src))
    assert out.read_bytes() == src.read_bytes()
    shown = cloud.cli_json("container", "show", "c1")
    assert shown["object_count"] == "1" or shown["object_count"] == 1
    assert "c1" in [c["Name"] for c in cloud.cli_json("container", "list")]


def test_swift_upload_list_download_bytes_identical(cloud, tmp_path):
    up = tmp_path / "up" / "somedir"
    (up / "sub").mkdir(parents=True)
    (up / "a.txt").write_text("a\n")
    (up / "sub" / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    assert "Account: AUTH_" in swift(cloud, "stat").stdout
    swift(cloud, "upload", "c2", "somedir", cwd=up.parent)
    listed = swift(cloud, "list", "c2").stdout.split()
    assert listed == ["somedir/a.txt", "somedir/sub/big.bin"]
    down = tmp_path / "down"
    down.mkdir()
    swift(cloud, "download", "c2", cwd=down)
    for rel in ("a.txt", "sub/big.bin"):
        assert (down / "somedir" / rel).read_bytes() == (up / rel).read_bytes()
    stat = swift(cloud, "stat", "c2").stdout
    assert re.search(r"Objects: 2\b", stat) and "Policy-0" in stat


def test_listing_marker_prefix_delimiter_limit(cloud, demo):
    url, token = demo
    h = {"X-Auth-Token": token}
    requests.put(f"{url}/lst", headers=h).raise_for_status()
    for name in ("a/1", "a/2", "b", "c/x/y", "d"):
        requests.put(f"{url}/lst/{name}", data=name.encode(), headers=h).raise_for_status()

    def names(**params):
        r = requests.get(f"{url}/lst", params={"format": "json", **params}, headers=h)
        assert r.status_code == 200
        return [e.get("name") or e.get("subdir") for e in r.json()]

    assert names() == ["a/1", "a/2", "b", "c/x/y", "d"]
    assert names(marker="a/2") == ["b", "c/x/y", "d"]
    assert names(marker="d") == []  # swift list's last page
    assert names(end_marker="b") == ["a/1", "a/2"]
    assert names(limit=2) == ["a/1", "a/2"]
    assert names(prefix="a/") == ["a/1", "a/2"]
    assert names(delimiter="/") == ["a/", "b", "c/", "d"]
    assert names(prefix="c/", delimiter="/") == ["c/x/"]
    text = requests.get(f"{url}/lst", headers=h)
    assert text.text.splitlines() == ["a/1", "a/2", "b", "c/x/y", "d"]
    assert requests.get(f"{url}/lst", params={"limit": 10001}, headers=h).status_code == 412


def test_headers_stats_metadata_and_trans_ids(cloud, demo):
    url, token = demo
    h = {"X-Auth-Token": token}
    r = requests.put(f"{url}/meta", headers={**h, "X-Container-Meta-Color": "blue"})
    assert r.status_code == 201 and TRANS_ID.match(r.headers["X-Trans-Id"])
    assert r.headers["X-Openstack-Request-Id"] == r.headers["X-Trans-Id"]
    assert requests.put(f"{url}/meta", headers=h).status_code == 202
    requests.put(f"{url}/meta/o", data=b"12345",
                 headers={**h, "X-Object-Meta-Shape": "round"}).raise_for_status()
    c = requests.head(f"{url}/meta", headers=h).headers
    assert (c["X-Container-Object-Count"], c["X-Container-Bytes-Used"]) == ("1", "5")
    assert c["X-Container-Meta-Color"] == "blue" and c["X-Storage-Policy"] == "Policy-0"
    assert float(c["X-Timestamp"]) > 0 and c["Last-Modified"]
    o = requests.head(f"{url}/meta/o", headers=h)
    assert o.status_code == 200 and o.headers["Content-Length"] == "5"
    assert o.headers["Etag"] == hashlib.md5(b"12345").hexdigest()
    assert o.headers["X-Object-Meta-Shape"] == "round"
    assert requests.post(f"{url}/meta/o", headers={**h, "X-Object-Meta-Shape": "square"}
                         ).status_code == 202
    assert requests.get(f"{url}/meta/o", headers=h).headers["X-Object-Meta-Shape"] == "square"
    a = requests.head(url, headers=h)
    assert a.status_code == 204
    for key in ("X-Account-Container-Count", "X-Account-Object-Count",
                "X-Account-Bytes-Used", "X-Timestamp"):
        assert key in a.headers
    info = requests.get(url.split("/v1/")[0] + "/info")
    assert info.status_code == 200 and info.json()["swift"]["max_object_name_length"] == 1024
    assert requests.delete(f"{url}/meta/o", headers=h).status_code == 204
    assert requests.get(f"{url}/meta/o", headers=h).status_code == 404
    assert requests.delete(f"{url}/meta/o", headers=h).status_code == 404


def test_another_projects_account_is_forbidden(cloud):
    admin_project = cloud.cli_json("project", "show", "admin", cloud="minicloud-admin")["id"]
    storage_url = f"{cloud.config.base_url('object')}/v1/AUTH_{admin_project}"
    result = swift(cloud, "--os-storage-url", storage_url, "list", check=False)
    assert result.returncode != 0 and "403" in result.stderr
    result = swift(cloud, "--os-storage-url", storage_url, "post", "theirs", check=False)
    assert result.returncode != 0 and "403" in result.stderr


def test_wrong_etag_is_422_and_stores_nothing(cloud, demo):
    url, token = demo
    h = {"X-Auth-Token": token}
    requests.put(f"{url}/etag", headers=h).raise_for_status()
    r = requests.put(f"{url}/etag/o", data=b"abc", headers={**h, "ETag": "0" * 32})
    assert r.status_code == 422
    assert requests.head(f"{url}/etag/o", headers=h).status_code == 404
    assert requests.head(f"{url}/etag", headers=h).headers["X-Container-Object-Count"] == "0"


def test_dot_dot_segments_are_refused(cloud, demo):
    url, token = demo
    requests.put(f"{url}/dots", headers={"X-Auth-Token": token}).raise_for_status()
    parsed = urllib.parse.urlsplit(url)
    # %2E%2E reaches the server as `..` (clients would normalise a literal one away)
    for path in ("/dots/%2E%2E/%2E%2E/escape", "/dots/a/%2E%2E/b", "/%2E%2E/o"):
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("PUT", parsed.path + path, body=b"x", headers={"X-Auth-Token": token})
        assert conn.getresponse().status == 400, path
        conn.close()


def test_names_and_metadata_over_the_limits(cloud, demo):
    long_container = "c" * 257
    result = cloud.cli("container", "create", long_container, check=False)
    assert result.returncode != 0 and "400" in result.stderr
    url, token = demo
    h = {"X-Auth-Token": token}
    requests.put(f"{url}/limits", headers=h).raise_for_status()
    assert requests.put(f"{url}/limits/{'o' * 1025}", data=b"x", headers=h).status_code == 400
    assert requests.put(f"{url}/limits/{'o' * 1024}", data=b"x", headers=h).status_code == 201
    result = swift(cloud, "post", "-m", f"big:{'v' * 257}", "limits", check=False)
    assert result.returncode != 0 and "400" in result.stderr
    too_many = {f"X-Object-Meta-K{i}": "v" for i in range(91)}
    assert requests.put(f"{url}/limits/m", data=b"x", headers={**h, **too_many}
                        ).status_code == 400


def test_delete_non_empty_container_is_409(cloud, tmp_path):
    src = tmp_path / "keep.txt"
    src.write_text("keep")
    cloud.cli("container", "create", "full")
    cloud.cli("object", "create", "full", str(src))
    result = cloud.cli("container", "delete", "full", check=False)
    assert result.returncode != 0 and "409" in result.stderr
    cloud.cli("object", "delete", "full", str(src))
    cloud.cli("container", "delete", "full")
    assert "full" not in [c["Name"] for c in cloud.cli_json("container", "list")]


def test_chunked_upload_and_account_listing_pages(cloud, demo):
    url, token = demo
    h = {"X-Auth-Token": token}
    requests.put(f"{url}/chunked", headers=h).raise_for_status()
    parts = [os.urandom(100_000) for _ in range(60)]  # 6 MB: spooled to disk by the proxy
    r = requests.put(f"{url}/chunked/big", data=iter(parts), headers=h)  # Transfer-Encoding
    assert r.status_code == 201, r.text
    whole = b"".join(parts)
    assert r.headers["Etag"] == hashlib.md5(whole).hexdigest()
    got = requests.get(f"{url}/chunked/big", headers=h)
    assert got.content == whole and got.headers["Content-Length"] == str(len(whole))
    names = swift(cloud, "list").stdout.split()  # pages with marker until an empty page
    assert "chunked" in names and names == sorted(names)
    assert swift(cloud, "list", "--lh").returncode == 0
