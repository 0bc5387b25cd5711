"""The learner's Glance commands, through the real `openstack` CLI and openstacksdk on a
live cloud: upload (from a file and piped, chunked), list, show, save, set, tags, delete,
visibility between projects, and the errors a learner can run into."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.livecloud import BIN, LiveCloud

CAROL = ["--os-username", "carol", "--os-password", "c4rol", "--os-project-name", "partner"]
FORMATS = ["--disk-format", "qcow2", "--container-format", "bare"]


def data(size: int, seed: str = "img") -> bytes:
    return hashlib.shake_256(seed.encode()).digest(size)


@pytest.fixture(scope="module")
def img(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("images") / "my.img"
    path.write_bytes(data(3 * 1024 * 1024 + 17))
    return path


@pytest.fixture(scope="module")
def myimg(cloud, img) -> dict:
    return cloud.cli_json("image", "create", "--file", str(img), *FORMATS,
                          "--property", "os.distro=cirros", "myimg")


@pytest.fixture(scope="module")
def carol(cloud):
    """A member of another project, `partner`, made with the admin cloud."""
    cloud.cli("project", "create", "partner", cloud="minicloud-admin")
    cloud.cli("user", "create", "--password", "c4rol", "carol", cloud="minicloud-admin")
    cloud.cli("role", "add", "--project", "partner", "--user", "carol", "member",
              cloud="minicloud-admin")
    return CAROL


def test_cirros_is_there_for_everyone(cloud):
    rows = cloud.cli_json("image", "list")
    assert [r["Status"] for r in rows if r["Name"] == "cirros"] == ["active"]
    cirros = cloud.cli_json("image", "show", "cirros")
    assert cirros["visibility"] == "public" and cirros["disk_format"] == "qcow2"
    admin_project = cloud.cli_json("project", "show", "admin", cloud="minicloud-admin")
    assert cirros["owner"] == admin_project["id"]


def test_create_from_a_file(cloud, img, myimg):
    content = img.read_bytes()
    assert myimg["status"] == "active" and myimg["size"] == len(content)
    assert myimg["checksum"] == hashlib.md5(content).hexdigest()
    # OSC shows the hash fields among the properties, as with real Glance
    assert myimg["properties"]["os_hash_algo"] == "sha512"
    assert myimg["properties"]["os_hash_value"] == hashlib.sha512(content).hexdigest()
    assert myimg["properties"]["os.distro"] == "cirros"
    assert myimg["visibility"] == "shared"
    demo = cloud.cli_json("project", "show", "demo", cloud="minicloud-admin")
    assert myimg["owner"] == demo["id"]
    assert (cloud.home / "images" / myimg["id"]).stat().st_size == len(content)


def test_create_from_stdin_is_a_chunked_upload(cloud, tmp_path):
    content = data(2 * 1024 * 1024 + 5, "piped")
    piped = subprocess.run(
        [str(BIN / "openstack"), "--os-cloud", "minicloud", "image", "create", *FORMATS,
         "piped", "-f", "json"], input=content, capture_output=True, env=cloud.env,
        timeout=120)
    assert piped.returncode == 0, piped.stderr.decode()
    image = json.loads(piped.stdout)
    assert image["status"] == "active" and image["size"] == len(content)
    assert image["checksum"] == hashlib.md5(content).hexdigest()
    out = tmp_path / "out.img"
    cloud.cli("image", "save", "--file", str(out), "piped")
    assert out.read_bytes() == content


def test_list_and_show(cloud, myimg):
    rows = cloud.cli_json("image", "list")
    assert {"ID": myimg["id"], "Name": "myimg", "Status": "active"} in rows
    shown = cloud.cli_json("image", "show", "myimg")
    assert shown["id"] == myimg["id"] and shown["checksum"] == myimg["checksum"]
    long = cloud.cli_json("image", "list", "--long", "--property", "os.distro=cirros")
    assert [r["Name"] for r in long] == ["myimg"]


def test_save_gives_identical_bytes(cloud, img, myimg, tmp_path):
    out = tmp_path / "out.img"
    cloud.cli("image", "save", "--file", str(out), "myimg")
    assert out.read_bytes() == img.read_bytes()


def test_set_property_name_and_tags(cloud, myimg):
    cloud.cli("image", "set", "--property", "hw_disk_bus=scsi", "--min-ram", "64",
              "--tag", "web", "myimg")
    shown = cloud.cli_json("image", "show", "myimg")
    assert shown["properties"]["hw_disk_bus"] == "scsi" and shown["min_ram"] == 64
    assert shown["tags"] == ["web"]
    cloud.cli("image", "unset", "--property", "hw_disk_bus", "myimg")
    assert "hw_disk_bus" not in cloud.cli_json("image", "show", "myimg")["properties"]
    sdk = cloud.sdk("minicloud")
    image = sdk.image.find_image("myimg")
    sdk.image.add_tag(image, "db")  # PUT /v2/images/{id}/tags/db
    assert sorted(sdk.image.get_image(image).tags) == ["db", "web"]
    sdk.image.remove_tag(image, "db")
    assert sdk.image.get_image(image).tags == ["web"]


def test_only_admin_makes_an_image_public(cloud, myimg, carol):
    refused = cloud.cli("image", "set", "--public", "myimg", check=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    assert "only an admin may make an image public" in refused.stderr
    hidden = cloud.cli("image", "show", myimg["id"], *carol, check=False)
    assert hidden.returncode != 0 and "No Image found" in hidden.stderr  # shared: demo's only
    cloud.cli("image", "set", "--public", myimg["id"], cloud="minicloud-admin")
    seen = cloud.cli_json("image", "show", myimg["id"], *carol)
    assert seen["visibility"] == "public" and seen["checksum"] == myimg["checksum"]
    assert "myimg" in [r["Name"] for r in cloud.cli_json("image", "list", *carol)]
    cloud.cli("image", "set", "--shared", myimg["id"], cloud="minicloud-admin")


def test_private_image_is_invisible_to_another_project(cloud, carol):
    secret = cloud.cli_json("image", "create", *FORMATS, "--private", "secret")
    result = cloud.cli("image", "show", secret["id"], *carol, check=False)
    assert result.returncode != 0 and "No Image found" in result.stderr
    assert "secret" not in [r["Name"] for r in cloud.cli_json("image", "list", *carol)]
    result = cloud.cli("image", "delete", secret["id"], *carol, check=False)
    assert result.returncode != 0
    assert cloud.cli_json("image", "show", "secret", cloud="minicloud-admin")["id"] == secret["id"]
    cloud.cli("image", "delete", "secret")


def test_public_image_is_visible_but_not_changeable_by_another_project(cloud, carol):
    cloud.cli_json("image", "create", *FORMATS, "sharedpub")
    cloud.cli("image", "set", "--public", "sharedpub", cloud="minicloud-admin")
    seen = cloud.cli_json("image", "show", "sharedpub", *carol)
    assert seen["visibility"] == "public"
    result = cloud.cli("image", "set", "--name", "stolen", "sharedpub", *carol, check=False)
    assert result.returncode != 0 and "403" in result.stderr
    result = cloud.cli("image", "delete", "sharedpub", *carol, check=False)
    assert result.returncode != 0
    cloud.cli("image", "delete", "sharedpub")


def test_delete_removes_record_and_bytes(cloud, img):
    image = cloud.cli_json("image", "create", "--file", str(img), *FORMATS, "doomed")
    assert (cloud.home / "images" / image["id"]).exists()
    cloud.cli("image", "delete", "doomed")
    assert not (cloud.home / "images" / image["id"]).exists()
    result = cloud.cli("image", "show", image["id"], check=False)
    assert result.returncode != 0 and "No Image found" in result.stderr


# -- errors, over raw HTTP with the SDK's session: Glance's format, never a 500 ---------------
def glance(cloud) -> tuple[requests.Session, str]:
    sdk = cloud.sdk("minicloud")
    session = requests.Session()
    session.headers["X-Auth-Token"] = sdk.auth_token
    return session, cloud.config.base_url("image")


def test_unknown_image_is_a_glance_404(cloud):
    session, url = glance(cloud)
    response = session.get(f"{url}/v2/images/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {
        "message": "No image found with ID 00000000-0000-0000-0000-000000000000",
        "code": "404 Not Found", "title": "Not Found"}


def test_malformed_json_patch_is_400(cloud, myimg):
    session, url = glance(cloud)
    headers = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
    for body in ("{not json", '{"op": "replace"}', '[{"op": "jump", "path": "/name"}]'):
        response = session.patch(f"{url}/v2/images/{myimg['id']}", data=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["code"] == "400 Bad Request"
    response = session.patch(f"{url}/v2/images/{myimg['id']}", headers=headers,
                             json=[{"op": "replace", "path": "/status", "value": "active"}])
    assert response.status_code == 403


def test_discovery_and_next_links(cloud):
    session, url = glance(cloud)
    for path in ("", "/", "/v2", "/v2/"):
        body = requests.get(url + path).json()  # no token needed
        assert body["versions"][0]["links"][0]["href"] == f"{url}/v2/"
    page = session.get(f"{url}/v2/images", params={"limit": 1}).json()
    assert page["next"].startswith("/v2/images?") and "marker=" in page["next"]
    sdk = cloud.sdk("minicloud")
    assert len(list(sdk.image.images(limit=1))) == len(list(sdk.image.images()))


# -- the size limit: a cloud of its own, with 1 MiB images at most -----------------------------
@pytest.fixture(scope="module")
def small_cloud(tmp_path_factory):
    home = tmp_path_factory.mktemp("small-cloud")
    (home / "minicloud.json").write_text(json.dumps({"image_size_limit": 1024 * 1024}))
    live = LiveCloud(home)
    live.up()
    yield live
    live.down()


def stored(live) -> list[str]:
    return sorted(p.name for p in (live.home / "images").iterdir())


def test_cli_upload_over_the_limit_is_413_and_leaves_nothing(small_cloud, tmp_path):
    before = stored(small_cloud)
    big = tmp_path / "big.img"
    big.write_bytes(data(1024 * 1024 + 1, "big"))
    result = small_cloud.cli("image", "create", "--file", str(big), *FORMATS, "big",
                             check=False)
    assert result.returncode != 0 and "413" in result.stderr
    piped = subprocess.run(
        [str(BIN / "openstack"), "--os-cloud", "minicloud", "image", "create", *FORMATS,
         "bigpiped"], input=big.read_bytes(), capture_output=True, env=small_cloud.env,
        timeout=120)
    assert piped.returncode != 0 and b"413" in piped.stderr
    # the client deletes the image it made when the upload fails; no bytes stay behind
    rows = small_cloud.cli_json("image", "list")
    assert [r for r in rows if r["Name"] in ("big", "bigpiped") and r["Status"] == "active"] == []
    assert stored(small_cloud) == before


def test_chunked_upload_over_the_limit_is_413_and_leaves_a_queued_image(small_cloud):
    sdk = small_cloud.sdk("minicloud")
    image = sdk.image.create_image(name="raw-big", disk_format="raw", container_format="bare",
                                   allow_duplicates=True)
    before = stored(small_cloud)

    def chunks():  # no Content-Length: requests sends Transfer-Encoding: chunked
        for i in range(5):
            yield data(256 * 1024, f"chunk{i}")

    url = f"{small_cloud.config.base_url('image')}/v2/images/{image.id}/file"
    response = requests.put(url, data=chunks(), headers={
        "X-Auth-Token": sdk.auth_token, "Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.json()["title"] == "Request Entity Too Large"
    again = sdk.image.get_image(image.id)
    assert again.status == "queued" and again.size is None and again.checksum is None
    assert stored(small_cloud) == before
    response = requests.put(url, data=iter([b"small ", b"enough"]), headers={
        "X-Auth-Token": sdk.auth_token, "Content-Type": "application/octet-stream"})
    assert response.status_code == 204
    assert sdk.image.get_image(image.id).size == len(b"small enough")


def test_client_disconnecting_mid_upload_leaves_a_queued_image(cloud):
    sdk = cloud.sdk("minicloud")
    image = sdk.image.create_image(name="cut", disk_format="raw", container_format="bare",
                                   allow_duplicates=True)
    before = stored(cloud)
    with socket.create_connection((cloud.config.host, cloud.config.port("image"))) as sock:
        sock.sendall(f"PUT /v2/images/{image.id}/file HTTP/1.1\r\nHost: x\r\n"
                     f"X-Auth-Token: {sdk.auth_token}\r\n"
                     f"Content-Type: application/octet-stream\r\n"
                     f"Content-Length: {4 * 1024 * 1024}\r\n\r\n".encode())
        sock.sendall(data(1024 * 1024, "half"))  # a quarter of it, then hang up
    time.sleep(0.5)
    again = sdk.image.get_image(image.id)
    assert again.status == "queued" and again.size is None
    assert stored(cloud) == before
    sdk.image.delete_image(image)


# -- issue 9: deactivate, schemas, filters, patch media types, routing --------------------------
def test_deactivate_and_activate_with_the_cli(cloud, img, tmp_path):
    image = cloud.cli_json("image", "create", "--file", str(img), *FORMATS, "parked")
    cloud.cli("image", "set", "--deactivate", "parked")
    assert cloud.cli_json("image", "show", "parked")["status"] == "deactivated"
    refused = cloud.cli("image", "save", "--file", str(tmp_path / "x"), "parked", check=False)
    # the client hashes whatever came back, so a 403 shows as a failed download
    assert refused.returncode != 0 and "Unable to download image" in refused.stderr
    session, url = glance(cloud)
    response = session.get(f"{url}/v2/images/{image['id']}/file")
    assert response.status_code == 403 and "deactivated" in response.json()["message"]
    cloud.cli("image", "save", "--file", str(tmp_path / "admin"), image["id"],
              cloud="minicloud-admin")  # an admin still may
    assert (tmp_path / "admin").read_bytes() == img.read_bytes()
    cloud.cli("image", "set", "--activate", "parked")
    assert cloud.cli_json("image", "show", "parked")["status"] == "active"
    cloud.cli("image", "save", "--file", str(tmp_path / "back"), "parked")
    assert (tmp_path / "back").read_bytes() == img.read_bytes()
    queued = cloud.sdk("minicloud").image.create_image(  # a record without data
        name="unparked", disk_format="raw", container_format="bare", allow_duplicates=True)
    cloud.cli("image", "set", "--deactivate", queued.id)  # the SDK ignores the answer...
    assert cloud.cli_json("image", "show", queued.id)["status"] == "queued"
    response = session.post(f"{url}/v2/images/{queued.id}/actions/deactivate")
    assert response.status_code == 403  # ...which was a refusal
    assert response.json()["message"] == "Not allowed to deactivate image in status 'queued'"
    cloud.cli("image", "delete", "parked", queued.id)


def test_schemas_through_the_sdk(cloud, myimg):
    sdk = cloud.sdk("minicloud")
    image_schema = sdk.image.get_image_schema()
    assert image_schema.properties["status"]["enum"] == ["queued", "saving", "active",
                                                         "deactivated"]
    assert image_schema.additional_properties == {"type": "string"}
    assert set(sdk.image.get_images_schema().properties) == {"images", "first", "next",
                                                             "schema"}
    assert "member_id" in sdk.image.get_member_schema().properties
    assert "members" in sdk.image.get_members_schema().properties
    body = sdk.image.get(f"/images/{myimg['id']}").json()
    assert set(body) - set(image_schema.properties) == {  # the extra properties
        "os.distro", "owner_specified.openstack.md5", "owner_specified.openstack.sha256",
        "owner_specified.openstack.object"}


def test_size_and_other_filters_through_the_sdk(cloud, myimg):
    sdk = cloud.sdk("minicloud")
    size = myimg["size"]
    found = [i.name for i in sdk.image.images(size_min=size, size_max=size)]
    assert "myimg" in found and "cirros" not in found
    assert "myimg" not in [i.name for i in sdk.image.images(size_min=size + 1)]
    assert [i.name for i in sdk.image.images(name="myimg", status="active",
                                             member_status="accepted")] == ["myimg"]
    assert [i.name for i in sdk.image.images(size_min=10**30)] == []


def test_huge_limit_through_the_cli(cloud, myimg):
    rows = cloud.cli_json("image", "list", "--limit", str(10**30))
    assert "myimg" in [r["Name"] for r in rows]


def test_too_many_properties_is_413_through_the_cli(cloud):
    many = [arg for i in range(126) for arg in ("--property", f"k{i}=v")]
    # the client adds three owner_specified.openstack.* properties: 129 in all
    refused = cloud.cli("image", "create", *FORMATS, *many, "crowded", check=False)
    assert refused.returncode != 0 and "413" in refused.stderr
    assert "Attempted: 129, Maximum: 128" in refused.stderr
    made = cloud.cli_json("image", "create", *FORMATS, *many[:-2], "crowded")  # 128
    refused = cloud.cli("image", "set", "--property", "one=more", made["id"], check=False)
    assert refused.returncode != 0 and "413" in refused.stderr
    cloud.cli("image", "delete", made["id"])


def test_v20_json_patch_and_glance_routing_over_http(cloud, myimg):
    session, url = glance(cloud)
    response = session.patch(f"{url}/v2/images/{myimg['id']}", data=json.dumps(
        [{"add": "/os_version", "value": "0.6"}]), headers={
        "Content-Type": "application/openstack-images-v2.0-json-patch"})
    assert response.status_code == 200 and response.json()["os_version"] == "0.6"
    response = session.patch(f"{url}/v2/images/{myimg['id']}", data="[]", headers={
        "Content-Type": "application/json-patch+json"})
    assert response.status_code == 415 and "Accept-Patch" in response.headers
    assert session.get(f"{url}/v2/images/null").status_code == 404
    for method in ("GET", "DELETE"):
        response = session.request(method, f"{url}/v2/images/")
        assert response.status_code == 404 and response.json()["code"] == "404 Not Found"
    assert session.delete(f"{url}/v2/images").status_code == 405
    for limit, code in ((str(10**30), 200), ("-1", 400), ("x", 400)):
        assert session.get(f"{url}/v2/images", params={"limit": limit}).status_code == code
