"""The response-shape audit (docs/services/glance.md): the exact keys of every Glance body
minicloud returns, and the `/v2/schemas/...` documents that describe them."""

from __future__ import annotations

import jsonschema
import pytest

# The image keys of Glance's api-ref (show/update/list samples), with the default
# configuration (no `locations`, `direct_url` or `stores`).
IMAGE_KEYS = {"id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
              "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_disk",
              "min_ram", "disk_format", "container_format", "created_at", "updated_at", "tags",
              "self", "file", "schema"}
ERROR_KEYS = {"message", "code", "title"}


@pytest.fixture
def image(glance) -> dict:
    return glance.demo.create(name="x", hw_disk_bus="scsi")


def test_image_bodies_have_exactly_glance_keys_plus_extra_properties(glance, image):
    path = f"/v2/images/{image['id']}"
    assert set(image) == IMAGE_KEYS | {"hw_disk_bus"}  # 201 create
    assert set(glance.demo.get(path).json) == IMAGE_KEYS | {"hw_disk_bus"}
    patched = glance.demo.patch(path, [{"op": "remove", "path": "/hw_disk_bus"}]).json
    assert set(patched) == IMAGE_KEYS
    glance.demo.upload(image["id"], b"data")
    assert set(glance.demo.get(path).json) == IMAGE_KEYS  # active: same keys, now set
    glance.demo.post(f"{path}/actions/deactivate")
    assert set(glance.demo.get(path).json) == IMAGE_KEYS


def test_list_body_keys(glance, image):
    glance.demo.create(name="y")
    body = glance.demo.get("/v2/images").json
    assert set(body) == {"images", "first", "schema"}
    assert [set(i) for i in body["images"]] == [IMAGE_KEYS, IMAGE_KEYS | {"hw_disk_bus"}]
    assert set(glance.demo.get("/v2/images?limit=1").json) == {"images", "first", "schema",
                                                               "next"}


@pytest.mark.parametrize("method,path,code", [
    ("GET", "/v2/images/nope", 404), ("GET", "/v2/images?limit=x", 400),
    ("POST", "/v2/schemas/image", 405), ("GET", "/v2/images/", 404)])
def test_error_body_keys(glance, method, path, code):
    result = glance.demo.request(method, path)
    assert result.status_code == code and set(result.json) == ERROR_KEYS
    assert result.headers["content-type"].startswith("application/json")


def test_bodyless_answers_are_empty(glance, image):
    path = f"/v2/images/{image['id']}"
    for result in (glance.demo.upload(image["id"], b"data"),
                   glance.demo.put(f"{path}/tags/t"), glance.demo.delete(f"{path}/tags/t"),
                   glance.demo.post(f"{path}/actions/deactivate"),
                   glance.demo.post(f"{path}/actions/reactivate"), glance.demo.delete(path)):
        assert result.status_code == 204 and result.content == b""


# -- the schema documents -----------------------------------------------------------------------
CUSTOM = {"kernel_id", "ramdisk_id", "instance_uuid", "architecture", "os_distro",
          "os_version", "description", "cinder_encryption_key_id",
          "cinder_encryption_key_deletion_policy"}


def test_image_schema_lists_what_an_image_holds(glance, image):
    schema = glance.demo.get("/v2/schemas/image").json
    assert set(schema) == {"name", "properties", "additionalProperties", "links"}
    assert schema["name"] == "image" and schema["additionalProperties"] == {"type": "string"}
    assert set(schema["properties"]) == IMAGE_KEYS | CUSTOM
    assert {p["is_base"] for k, p in schema["properties"].items() if k in CUSTOM} == {False}
    assert schema["links"] == [{"rel": "self", "href": "{self}"},
                               {"rel": "enclosure", "href": "{file}"},
                               {"rel": "describedby", "href": "{schema}"}]
    validator = jsonschema.Draft4Validator(schema)
    glance.demo.upload(image["id"], b"data")
    for body in (image, glance.demo.get(f"/v2/images/{image['id']}").json):
        validator.validate(body)  # what we return is what the schema says


def test_images_schema_wraps_the_image_schema(glance, image):
    schema = glance.demo.get("/v2/schemas/images").json
    assert set(schema) == {"name", "properties", "links"} and schema["name"] == "images"
    assert set(schema["properties"]) == {"images", "first", "next", "schema"}
    assert schema["properties"]["images"]["items"] == glance.demo.get(
        "/v2/schemas/image").json
    assert [link["rel"] for link in schema["links"]] == ["first", "next", "describedby"]
    jsonschema.Draft4Validator(schema).validate(glance.demo.get("/v2/images?limit=1").json)


def test_member_schemas(glance):
    member = glance.demo.get("/v2/schemas/member").json
    assert set(member) == {"name", "properties"} and member["name"] == "member"
    assert set(member["properties"]) == {"image_id", "member_id", "status", "created_at",
                                         "updated_at", "schema"}
    members = glance.demo.get("/v2/schemas/members").json
    assert set(members["properties"]) == {"members", "schema"}
    assert members["properties"]["members"]["items"] == member
    assert members["links"] == [{"rel": "describedby", "href": "{schema}"}]


def test_schemas_need_a_token_and_take_only_get(glance):
    assert glance.anonymous.get("/v2/schemas/image").status_code == 401
    assert glance.demo.request("PUT", "/v2/schemas/images").status_code == 405
    assert glance.demo.get("/v2/schemas/task").status_code == 404  # no tasks in minicloud
