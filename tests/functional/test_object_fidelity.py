"""Swift as the clients know it (issues 9 and 10): headers on every answer, metadata that
stays, expiring objects, ranges and conditions, server-side copy and who may do it, and
what real Swift refuses. Through swiftclient and the `swift` CLI where they send it, raw
HTTP otherwise."""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.parse

import pytest
import requests
import swiftclient

from tests.livecloud import swift


@pytest.fixture(scope="module")
def demo(cloud):
    """(account URL, token) of the demo project."""
    conn = cloud.sdk()
    return conn.object_store.get_endpoint().rstrip("/"), conn.auth_token


@pytest.fixture(scope="module")
def sc(demo):
    url, token = demo
    return swiftclient.Connection(preauthurl=url, preauthtoken=token, retries=0)


@pytest.fixture(scope="module")
def admin_object(cloud):
    """An object in the admin project's account: (account, container, object)."""
    admin = cloud.sdk(cloud="minicloud-admin")
    url, token = admin.object_store.get_endpoint().rstrip("/"), admin.auth_token
    conn = swiftclient.Connection(preauthurl=url, preauthtoken=token, retries=0)
    conn.put_container("secret")
    conn.put_object("secret", "plans", b"admin only", headers={"X-Object-Meta-Who": "admin"})
    return url.rsplit("/", 1)[1], "secret", "plans", conn


def status_of(call, *args, **kwargs) -> int:
    try:
        call(*args, **kwargs)
    except swiftclient.ClientException as exc:
        return exc.http_status
    return 200


def test_every_answer_has_a_content_type(demo):
    url, token = demo
    h = {"X-Auth-Token": token}
    answers = [requests.put(f"{url}/ctype", headers=h),                        # 201
               requests.post(f"{url}/ctype", headers={**h, "X-Container-Meta-A": "1"}),  # 204
               requests.head(f"{url}/ctype", headers=h),                       # 204
               requests.put(f"{url}/ctype/o", data=b"x", headers=h),           # 201
               requests.post(f"{url}/ctype/o", headers=h),                     # 202
               requests.delete(f"{url}/ctype/o", headers=h),                   # 204
               requests.head(f"{url}/ctype/o", headers=h),                     # 404, HEAD
               requests.get(f"{url}/ctype/o", headers=h),                      # 404
               requests.head(url, headers=h)]                                  # 204
    assert [r.status_code for r in answers] == [201, 204, 204, 201, 202, 204, 404, 404, 204]
    for r in answers:
        assert r.headers.get("Content-Type"), (r.request.method, r.url, r.status_code)
    assert answers[5].headers["Content-Type"] == "text/html; charset=UTF-8"


def test_object_headers_stay_and_post_replaces_them(cloud, tmp_path, sc):
    (tmp_path / "f.txt").write_text("hi\n")
    swift(cloud, "upload", "keep", "f.txt", "-H", "Content-Disposition: attachment",
          "-H", "Content-Encoding: identity", "-H", "X-Object-Meta-Color: blue",
          cwd=tmp_path)
    stat = swift(cloud, "stat", "keep", "f.txt").stdout
    assert "Meta Color: blue" in stat and "Content-Disposition: attachment" in stat
    assert "Content-Encoding: identity" in stat
    swift(cloud, "post", "keep", "f.txt", "-H", "X-Object-Meta-Shape: round",
          "-H", "Content-Type: text/plain")
    head = sc.head_object("keep", "f.txt")
    assert head["x-object-meta-shape"] == "round" and head["content-type"] == "text/plain"
    assert "x-object-meta-color" not in head and "content-disposition" not in head


def test_expiring_objects_disappear_from_reads_and_listings(sc):
    sc.put_container("expiring")
    # Expiries are whole seconds: started late in a second, "1 s from now" can be a few ms
    # away and the object gone before the listing below. At a second's start it is ~1 s.
    time.sleep(1 - time.time() % 1)
    sc.put_object("expiring", "brief", b"gone soon", headers={"X-Delete-After": "1"})
    sc.put_object("expiring", "stays", b"here")
    at = int(time.time()) + 1
    sc.put_object("expiring", "posted", b"too")
    sc.post_object("expiring", "posted", headers={"X-Delete-At": str(at)})
    assert sc.head_object("expiring", "posted")["x-delete-at"] == str(at)
    assert [o["name"] for o in sc.get_container("expiring")[1]] == ["brief", "posted", "stays"]
    deadline = time.time() + 5
    while status_of(sc.head_object, "expiring", "posted") != 404 and time.time() < deadline:
        time.sleep(0.1)
    assert status_of(sc.get_object, "expiring", "brief") == 404
    assert status_of(sc.head_object, "expiring", "posted") == 404
    headers, listing = sc.get_container("expiring")
    assert [o["name"] for o in listing] == ["stays"]
    assert headers["x-container-object-count"] == "1"


def test_a_post_without_x_delete_at_cancels_the_expiry(sc):
    sc.put_container("expiring2")
    time.sleep(1 - time.time() % 1)  # the POST must come before the expiry (see above)
    sc.put_object("expiring2", "o", b"x", headers={"X-Delete-After": "1"})
    sc.post_object("expiring2", "o", headers={"X-Object-Meta-Saved": "yes"})
    time.sleep(1.2)
    assert sc.head_object("expiring2", "o")["x-object-meta-saved"] == "yes"
    assert [o["name"] for o in sc.get_container("expiring2")[1]] == ["o"]


def test_a_container_of_expired_objects_can_be_deleted(sc):
    sc.put_container("expiring3")
    sc.put_object("expiring3", "o", b"x", headers={"X-Delete-After": "1"})
    deadline = time.time() + 5
    while status_of(sc.get_object, "expiring3", "o") != 404 and time.time() < deadline:
        time.sleep(0.1)
    sc.delete_container("expiring3")  # not 409: nothing unexpired is left in it
    assert status_of(sc.head_container, "expiring3") == 404


def test_ranges(sc):
    sc.put_container("ranges")
    sc.put_object("ranges", "digits", b"0123456789", content_type="text/plain")
    headers, body = sc.get_object("ranges", "digits", headers={"Range": "bytes=2-4"})
    assert body == b"234" and headers["content-range"] == "bytes 2-4/10"
    headers, body = sc.get_object("ranges", "digits", headers={"Range": "bytes=-3"})
    assert body == b"789" and headers["content-range"] == "bytes 7-9/10"
    headers, body = sc.get_object("ranges", "digits", headers={"Range": "bytes=0-0,5-"})
    boundary = headers["content-type"].split("boundary=")[1]
    assert headers["content-type"].startswith("multipart/byteranges")
    assert body == (f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-0/10"
                    f"\r\n\r\n0\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: "
                    f"bytes 5-9/10\r\n\r\n56789\r\n--{boundary}--").encode()
    assert status_of(sc.get_object, "ranges", "digits", headers={"Range": "bytes=10-"}) == 416
    headers, body = sc.get_object("ranges", "digits", headers={"Range": "bytes=5-3"})
    assert body == b"0123456789"  # a Range that does not parse is ignored


def test_conditional_requests(sc):
    sc.put_container("cond")
    etag = sc.put_object("cond", "o", b"v1")
    assert status_of(sc.get_object, "cond", "o", headers={"If-None-Match": f'"{etag}"'}) == 304
    assert status_of(sc.head_object, "cond", "o", headers={"If-Match": "other"}) == 412
    assert sc.get_object("cond", "o", headers={"If-Match": etag})[1] == b"v1"
    assert status_of(sc.head_object, "cond", "missing", headers={"If-Match": "*"}) == 412
    assert status_of(sc.head_object, "cond", "missing", headers={"If-Match": etag}) == 404
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    past = "Thu, 01 Jan 2015 00:00:00 GMT"
    assert status_of(sc.get_object, "cond", "o", headers={"If-Modified-Since": future}) == 304
    assert status_of(sc.get_object, "cond", "o", headers={"If-Unmodified-Since": past}) == 412
    assert sc.get_object("cond", "o", headers={"If-Modified-Since": past})[1] == b"v1"
    assert status_of(sc.put_object, "cond", "o", b"v2", headers={"If-None-Match": "*"}) == 412
    assert status_of(sc.put_object, "cond", "o", b"v2", headers={"If-None-Match": etag}) == 400
    assert sc.get_object("cond", "o")[1] == b"v1"
    sc.put_object("cond", "new", b"n", headers={"If-None-Match": "*"})
    assert sc.get_object("cond", "new")[1] == b"n"


def test_copy_with_the_swift_cli_and_swiftclient(cloud, sc):
    sc.put_container("copies")
    data = b"copy me" * 1000
    sc.put_object("copies", "src", data, content_type="text/x-src",
                  headers={"X-Object-Meta-Color": "blue", "Content-Disposition": "inline"})
    swift(cloud, "copy", "-d", "/copies/cli", "-m", "Extra:yes", "copies", "src")
    head = sc.head_object("copies", "cli")
    assert (head["x-object-meta-color"], head["x-object-meta-extra"]) == ("blue", "yes")
    assert head["content-disposition"] == "inline" and head["content-type"] == "text/x-src"
    assert head["etag"] == hashlib.md5(data).hexdigest()
    swift(cloud, "copy", "--fresh-metadata", "-d", "/copies/fresh", "copies", "src")
    head = sc.head_object("copies", "fresh")
    assert "x-object-meta-color" not in head and "content-disposition" not in head
    assert head["content-type"] == "text/x-src"
    sc.copy_object("copies", "src", destination="/copies/sdk",
                   headers={"X-Object-Meta-Color": "red"})
    assert sc.head_object("copies", "sdk")["x-object-meta-color"] == "red"
    sc.put_object("copies", "put", None, headers={"X-Copy-From": "/copies/src"})
    assert sc.get_object("copies", "put")[1] == data
    names = [o["name"] for o in sc.get_container("copies")[1]]
    assert names == ["cli", "fresh", "put", "sdk", "src"]


def test_copy_answers_like_swift(demo, sc):
    url, token = demo
    h = {"X-Auth-Token": token}
    sc.put_container("copy2")
    sc.put_object("copy2", "src", b"abc", headers={"X-Delete-After": "3600"})
    r = requests.request("COPY", f"{url}/copy2/src", headers={**h, "Destination": "copy2/dst"})
    assert r.status_code == 201 and r.headers["X-Copied-From"] == "copy2/src"
    assert r.headers["X-Copied-From-Account"] == url.rsplit("/", 1)[1]
    assert r.headers["X-Delete-At"] == sc.head_object("copy2", "src")["x-delete-at"]
    bad = [requests.request("COPY", f"{url}/copy2/src", headers=h),
           requests.request("COPY", f"{url}/copy2/src", headers={**h, "Destination": "nodst"}),
           requests.put(f"{url}/copy2/x", headers={**h, "X-Copy-From": "noslash"}),
           requests.put(f"{url}/copy2/x", headers={**h, "X-Copy-From": "copy2/missing"}),
           requests.put(f"{url}/copy2/x", data=b"body", headers={**h, "X-Copy-From": "copy2/src"}),
           requests.request("COPY", f"{url}/copy2/src", headers={**h, "Destination": "nope/x"})]
    assert [r.status_code for r in bad] == [412, 412, 412, 404, 400, 404]


def test_no_copy_across_projects_without_access(demo, sc, admin_object):
    url, token = demo
    h = {"X-Auth-Token": token}
    account, container, obj, admin = admin_object
    theirs = url.rsplit("/", 1)[0] + f"/{account}"
    sc.put_container("stolen")
    sc.put_object("stolen", "mine", b"mine")
    attempts = [
        requests.request("COPY", f"{theirs}/{container}/{obj}",
                         headers={**h, "Destination": "stolen/copy",
                                  "Destination-Account": url.rsplit("/", 1)[1]}),
        requests.put(f"{url}/stolen/copy", headers={**h, "X-Copy-From": f"{container}/{obj}",
                                                    "X-Copy-From-Account": account}),
        requests.request("COPY", f"{url}/stolen/mine",
                         headers={**h, "Destination": f"{container}/planted",
                                  "Destination-Account": account}),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert status_of(sc.copy_object, "stolen", "mine", destination=f"/{container}/planted",
                     headers={"Destination-Account": account}) == 403
    assert [o["name"] for o in sc.get_container("stolen")[1]] == ["mine"]
    assert [o["name"] for o in admin.get_container(container)[1]] == [obj]


def test_header_sizes(demo, sc):
    url, token = demo
    sc.put_container("headers")
    r = requests.put(f"{url}/headers/o", data=b"x",
                     headers={"X-Auth-Token": token, "Content-Type": "t/" + "x" * 10240})
    assert r.status_code == 400 and "too long" in r.text
    big = "t/" + "y" * 7000  # under Swift's 8192-byte header line, over an ext4 xattr
    sc.put_object("headers", "big", b"x", content_type=big)
    assert sc.head_object("headers", "big")["content-type"] == big
    assert sc.get_container("headers")[1][0]["content_type"] == big


def test_refused_as_swift_refuses(cloud, demo, sc):
    url, token = demo
    h = {"X-Auth-Token": token}
    sc.put_container("strict")
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request("PUT", parsed.path + "/bad%FFname", headers=h)
    assert conn.getresponse().status == 412  # not UTF-8
    conn.close()
    for headers in ({"X-Delete-At": "soon"}, {"X-Delete-At": "12"},
                    {"X-Delete-After": "-1"}, {"X-Delete-After": "x"}):
        assert status_of(sc.put_object, "strict", "o", b"x", headers=headers) == 400, headers
    for args in (("-r", ".r:"), ("-w", ".r:*"), ("-r", ".bad:x"), ("-m", "Quota-Bytes:lots"),
                 ("-m", "Quota-Count:-1"), ("-H", "X-Versions-Location: a/b"),
                 ("-H", "X-Versions-Location: v", "-H", "X-History-Location: h")):
        result = swift(cloud, "post", *args, "strict", check=False)
        assert result.returncode != 0 and ("400" in result.stderr or "412" in result.stderr), args
    result = swift(cloud, "post", "-H", "X-Account-Access-Control: nope", check=False)
    assert result.returncode != 0 and "400" in result.stderr
    r = requests.post(url, headers={**h, "X-Account-Access-Control": '{"admin": "bob"}'})
    assert r.status_code == 400 and "must be a list" in r.text
    assert status_of(sc.head_object, "strict", "o") == 404  # nothing was stored


def test_acls_and_removals_are_kept(cloud, sc):
    swift(cloud, "post", "-r", ".r:*,.rlistings", "-m", "Color:red", "-m", "Size:big", "acl")
    head = sc.head_container("acl")
    assert head["x-container-read"] == ".r:*,.rlistings" and head["x-container-meta-size"] == "big"
    swift(cloud, "post", "-H", "X-Remove-Container-Meta-Color: x",
          "-H", "X-Remove-Container-Read: x", "acl")
    head = sc.head_container("acl")
    assert "x-container-meta-color" not in head and "x-container-read" not in head
    assert head["x-container-meta-size"] == "big"
    sc.put_container("acl", headers={"X-Remove-Container-Meta-Size": "x"})  # PUT removes too
    assert "x-container-meta-size" not in sc.head_container("acl")


def test_container_quotas(cloud, demo, sc):
    assert "container_quotas" in requests.get(demo[0].split("/v1/")[0] + "/info").json()
    swift(cloud, "post", "-m", "Quota-Bytes:10", "quota")
    sc.put_object("quota", "a", b"123456")
    assert status_of(sc.put_object, "quota", "b", b"12345") == 413  # 11 bytes > 10
    sc.put_object("quota", "b", b"1234")
    swift(cloud, "post", "-m", "Quota-Bytes:", "-m", "Quota-Count:2", "quota")
    assert status_of(sc.put_object, "quota", "c", b"1") == 413  # a third object
    assert status_of(sc.copy_object, "quota", "a", destination="/quota/c") == 413
    assert [o["name"] for o in sc.get_container("quota")[1]] == ["a", "b"]


def test_swift_download_skip_identical_and_ranges(cloud, tmp_path):
    (tmp_path / "d.txt").write_bytes(b"0123456789")
    swift(cloud, "upload", "dl", "d.txt", cwd=tmp_path)
    out = swift(cloud, "download", "dl", "d.txt", "--skip-identical", cwd=tmp_path)
    assert "Skipped identical file 'd.txt'" in out.stdout + out.stderr  # answered 304
    part = swift(cloud, "download", "dl", "d.txt", "-H", "Range: bytes=2-4", "-o", "-")
    assert part.stdout == "234"  # swift skips its MD5 check only with a Content-Range


def test_large_objects_are_refused_not_stored_as_plain_objects(cloud, tmp_path, sc):
    (tmp_path / "big.txt").write_bytes(b"0123456789abcdef")
    for args in (("-S", "5"), ("--use-slo", "-S", "5")):  # DLO, then SLO manifests
        result = swift(cloud, "upload", *args, "large", "big.txt", cwd=tmp_path, check=False)
        assert result.returncode != 0 and "400 Bad Request" in result.stderr, args
    assert [o["name"] for o in sc.get_container("large")[1]] == []
    try:
        sc.put_object("large", "m", b"", headers={"X-Object-Manifest": "nocontainer"})
    except swiftclient.ClientException as exc:
        assert exc.http_status == 400 and b"format container/prefix" in exc.http_response_content
    else:
        raise AssertionError("a malformed X-Object-Manifest was accepted")
