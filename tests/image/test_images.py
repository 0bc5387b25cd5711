"""Image records: discovery, create, show, list (filters, sorting, pages), delete, tags."""

from __future__ import annotations

import pytest

GLANCE_FIELDS = {"id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo",
                 "os_hash_value", "size", "virtual_size", "min_disk", "min_ram", "disk_format",
                 "container_format", "owner", "created_at", "updated_at", "tags", "os_hidden",
                 "self", "file", "schema"}


@pytest.mark.parametrize("path", ["/", "/v2", "/v2/"])
def test_version_discovery_needs_no_token(glance, path):
    result = glance.anonymous.get(path)
    assert result.status_code == 300
    versions = result.json["versions"]
    assert versions[0] == {"id": "v2.17", "status": "CURRENT", "links": [
        {"rel": "self", "href": "http://falconframework.org/v2/"}]}
    assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}
    assert "v2.0" in {v["id"] for v in versions}


def test_images_need_a_token_and_errors_use_glance_format(glance):
    result = glance.anonymous.get("/v2/images")
    assert result.status_code == 401
    assert result.json["code"] == "401 Unauthorized" and result.json["title"] == "Unauthorized"
    missing = glance.demo.get("/v2/images/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json == {"message": "No image found with ID nope", "code": "404 Not Found",
                            "title": "Not Found"}


def test_create_is_queued_with_glance_fields_and_extra_properties(glance):
    image = glance.demo.create(name="myimg", disk_format="qcow2", **{
        "owner_specified.openstack.md5": "", "hw_disk_bus": "scsi"}, tags=["a", "b", "a"])
    assert GLANCE_FIELDS <= set(image)
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["owner"] == "p-demo" and image["size"] is None and image["checksum"] is None
    assert image["protected"] is False and image["os_hidden"] is False
    assert image["tags"] == ["a", "b"]
    assert image["owner_specified.openstack.md5"] == "" and image["hw_disk_bus"] == "scsi"
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert glance.demo.get(f"/v2/images/{image['id']}").json == image


def test_create_with_an_id_and_duplicate_id(glance):
    image_id = "0b3d1b3e-6a26-4a47-9f5c-0f5c7f0d2c11"
    assert glance.demo.create(id=image_id)["id"] == image_id
    assert glance.demo.post("/v2/images", json={"id": image_id}).status_code == 409


@pytest.mark.parametrize("field", ["status", "size", "checksum", "os_hash_value", "self",
                                   "created_at", "locations"])
def test_read_only_fields_are_forbidden_at_create(glance, field):
    result = glance.demo.post("/v2/images", json={"name": "x", field: "active"})
    assert result.status_code == 403
    assert result.json["message"] == f"Attribute '{field}' is read-only."


@pytest.mark.parametrize("body", [{"disk_format": "exe"}, {"min_ram": -1}, {"protected": "yes"},
                                  {"visibility": "everyone"}, {"extra": 5}, {"tags": "a"},
                                  {"id": "not-a-uuid"}, ["not", "an", "object"]])
def test_invalid_create_bodies_are_400(glance, body):
    assert glance.demo.post("/v2/images", json=body).status_code == 400


def test_malformed_json_is_400(glance):
    result = glance.demo.post("/v2/images", body="{not json",
                              headers={"Content-Type": "application/json"})
    assert result.status_code == 400 and "Malformed" in result.json["message"]


def test_only_admin_creates_public_images(glance):
    result = glance.demo.post("/v2/images", json={"name": "x", "visibility": "public"})
    assert result.status_code == 403 and "publicize_image" in result.json["message"]
    assert glance.admin.create(name="x", visibility="public")["visibility"] == "public"
    assert glance.demo.post("/v2/images", json={"owner": "p-other"}).status_code == 403


def test_visibility_between_projects(glance):
    private = glance.demo.create(name="private", visibility="private")
    shared = glance.demo.create(name="shared")
    community = glance.demo.create(name="community", visibility="community")
    public = glance.admin.create(name="public", visibility="public")

    def names(caller, query=""):
        return {i["name"] for i in caller.get("/v2/images" + query).json["images"]}

    assert names(glance.demo) == {"private", "shared", "community", "public"}
    assert names(glance.other) == {"public"}  # community images are listed only on request
    assert names(glance.other, "?visibility=community") == {"community"}
    assert names(glance.other, "?visibility=all") == {"community", "public"}
    assert names(glance.other, "?visibility=private") == set()
    # nobody's default listing shows another project's community images, not even an admin's
    assert names(glance.admin) == {"private", "shared", "public"}
    assert names(glance.admin, "?visibility=all") == {"private", "shared", "community",
                                                      "public"}
    for image in (private, shared):
        assert glance.other.get(f"/v2/images/{image['id']}").status_code == 404
        assert glance.other.delete(f"/v2/images/{image['id']}").status_code == 404
        assert glance.admin.get(f"/v2/images/{image['id']}").status_code == 200
    for image in (community, public):
        assert glance.other.get(f"/v2/images/{image['id']}").status_code == 200
    # visible but not theirs: 403 on every change
    assert glance.other.delete(f"/v2/images/{community['id']}").status_code == 403
    assert glance.demo.delete(f"/v2/images/{public['id']}").status_code == 403
    assert glance.other.patch(f"/v2/images/{community['id']}", [
        {"op": "replace", "path": "/name", "value": "mine"}]).status_code == 403
    assert glance.other.put(f"/v2/images/{community['id']}/tags/x").status_code == 403


def test_delete_and_protected_images(glance):
    image = glance.demo.create(name="keep", protected=True)
    assert glance.demo.upload(image["id"], b"data").status_code == 204
    result = glance.demo.delete(f"/v2/images/{image['id']}")
    assert result.status_code == 403 and "protected" in result.json["message"]
    assert glance.demo.get(f"/v2/images/{image['id']}").status_code == 200
    assert glance.files.names() == [image["id"]]  # a refused delete keeps the bytes
    glance.demo.patch(f"/v2/images/{image['id']}",
                      [{"op": "replace", "path": "/protected", "value": False}])
    assert glance.demo.delete(f"/v2/images/{image['id']}").status_code == 204
    assert glance.demo.get(f"/v2/images/{image['id']}").status_code == 404
    assert glance.demo.get(f"/v2/images/{image['id']}/file").status_code == 404
    assert glance.files.names() == []
    assert glance.demo.delete(f"/v2/images/{image['id']}").status_code == 404


def test_admin_deletes_any_image(glance):
    image = glance.demo.create(name="x", visibility="private")
    assert glance.demo.upload(image["id"], b"data").status_code == 204
    assert glance.admin.delete(f"/v2/images/{image['id']}").status_code == 204
    for caller in (glance.demo, glance.admin):
        assert caller.get(f"/v2/images/{image['id']}").status_code == 404
    assert glance.files.names() == []


def test_tags(glance):
    image = glance.demo.create(name="x")
    path = f"/v2/images/{image['id']}/tags"
    assert glance.demo.put(f"{path}/web").status_code == 204
    assert glance.demo.put(f"{path}/web").status_code == 204  # idempotent
    assert glance.demo.put(f"{path}/db").status_code == 204
    assert glance.demo.get(f"/v2/images/{image['id']}").json["tags"] == ["web", "db"]
    assert glance.demo.delete(f"{path}/web").status_code == 204
    assert glance.demo.delete(f"{path}/web").status_code == 404
    assert glance.demo.get(f"/v2/images/{image['id']}").json["tags"] == ["db"]
    assert glance.other.put(f"{path}/x").status_code == 404


# -- listing ---------------------------------------------------------------------------------
@pytest.fixture
def five(glance) -> list[dict]:
    """Five images of demo's, created in the order a..e (one clock second apart)."""
    made = []
    for i, name in enumerate("cbeda"):
        made.append(glance.demo.create(name=name, min_ram=i, tags=["even"] if i % 2 == 0 else [],
                                       disk_format="qcow2" if name in "ab" else "raw",
                                       **{"os.distro": "cirros" if name == "e" else "ubuntu"}))
    return made


def listing(caller, query: str) -> list[str]:
    return [i["name"] for i in caller.get("/v2/images?" + query).json["images"]]


@pytest.mark.parametrize("query,expected", [
    ("", ["a", "d", "e", "b", "c"]),  # newest first
    ("sort_key=name&sort_dir=asc", ["a", "b", "c", "d", "e"]),
    ("sort=name:desc", ["e", "d", "c", "b", "a"]),
    ("sort=disk_format:asc,name:asc", ["a", "b", "c", "d", "e"]),
    ("sort=disk_format:desc,name:asc", ["c", "d", "e", "a", "b"]),
    ("sort_key=status&sort_key=name&sort_dir=asc", ["a", "b", "c", "d", "e"]),
    ("min_ram=3", ["d"]),
    ("name=e", ["e"]),
    ("name=in:a,c&sort=name:asc", ["a", "c"]),
    ("disk_format=qcow2&sort=name:asc", ["a", "b"]),
    ("tag=even&sort=name:asc", ["a", "c", "e"]),
    ("os.distro=cirros", ["e"]),
    ("status=queued&sort=name:asc&limit=2", ["a", "b"]),
    ("status=active", []),
    ("owner=p-demo&visibility=shared&sort=name:asc", ["a", "b", "c", "d", "e"]),
    ("owner=p-other", []),
])
def test_list_filters_and_sorting(glance, five, query, expected):
    assert listing(glance.demo, query) == expected


def test_list_by_ids_with_in(glance, five):
    ids = f"{five[0]['id']},{five[2]['id']}"
    assert sorted(listing(glance.demo, f"id=in:{ids}")) == ["c", "e"]


@pytest.mark.parametrize("query", ["limit=x", "limit=-1", "sort_key=password", "sort_dir=up",
                                   "sort=name:asc&sort_key=name", "visibility=everyone",
                                   "marker=unknown", "protected=maybe"])
def test_bad_list_queries_are_400(glance, five, query):
    assert glance.demo.get("/v2/images?" + query).status_code == 400


def test_pages_follow_next_links(glance, five):
    seen, path = [], "/v2/images?limit=2&sort=name:asc&tag=even"
    while path:
        body = glance.demo.get(path).json
        assert body["first"] == "/v2/images?limit=2&sort=name%3Aasc&tag=even"
        assert body["schema"] == "/v2/schemas/images"
        seen += [i["name"] for i in body["images"]]
        path = body.get("next")
        if path:
            assert path.startswith("/v2/images?") and "tag=even" in path
    assert seen == ["a", "c", "e"]


def test_marker_of_the_last_image_is_an_empty_page(glance, five):
    last = glance.demo.get("/v2/images").json["images"][-1]["id"]
    body = glance.demo.get(f"/v2/images?marker={last}").json
    assert body["images"] == [] and "next" not in body


def test_hidden_images_are_listed_only_on_request(glance):
    glance.demo.create(name="hidden", os_hidden=True)
    glance.demo.create(name="shown")
    assert listing(glance.demo, "") == ["shown"]
    assert listing(glance.demo, "os_hidden=true") == ["hidden"]


@pytest.mark.parametrize("method,path,code", [
    ("GET", "/v2/nothing", "404 Not Found"),
    ("DELETE", "/v2/images", "405 Method Not Allowed"),
    ("POST", "/v2/images/x/file", "405 Method Not Allowed")])
def test_routing_errors_use_glance_format_too(glance, method, path, code):
    result = glance.demo.request(method, path)
    assert result.json["code"] == code and code.endswith(result.json["title"])
    assert result.json["message"]


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST", "PATCH"])
def test_trailing_slashes_are_no_route_as_in_glance(glance, method):
    image = glance.demo.create(name="x")
    for path in ("/v2/images/", f"/v2/images/{image['id']}/", "/v2/schemas/image/"):
        result = glance.demo.request(method, path)
        assert result.status_code == 404, (method, path)
        assert result.json == {"message": "The resource could not be found.",
                               "code": "404 Not Found", "title": "Not Found"}
    assert glance.anonymous.request(method, "/v2/images/").status_code == 401  # token first
    assert glance.demo.get(f"/v2/images/{image['id']}").status_code == 200  # still there


def test_null_is_an_image_id_like_any_other(glance):
    glance.demo.create(name="x")
    result = glance.demo.get("/v2/images/null")
    assert result.status_code == 404 and result.json["message"] == "No image found with ID null"
    assert glance.demo.delete("/v2/images/null").status_code == 404


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("DELETE", ""), ("GET", "/file"),
                                           ("PUT", "/tags/t"), ("DELETE", "/tags/t"),
                                           ("POST", "/actions/deactivate")])
def test_requests_that_take_no_body_refuse_one(glance, method, suffix):
    image = glance.demo.create(name="x", tags=["t"])
    result = glance.demo.request(method, f"/v2/images/{image['id']}{suffix}", body=b"{}",
                                 headers={"Content-Type": "application/json"})
    assert result.status_code == 400
    assert result.json["message"] == "A body is not expected with this request."
    assert glance.demo.get(f"/v2/images/{image['id']}").json == image
