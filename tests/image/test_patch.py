"""`PATCH /v2/images/{id}`: JSON-patch updates, their permissions and their errors."""

from __future__ import annotations

import pytest


@pytest.fixture
def image(glance) -> dict:
    return glance.demo.create(name="orig", hw_disk_bus="scsi")


def patch(caller, image, *ops):
    return caller.patch(f"/v2/images/{image['id']}", list(ops))


def test_replace_add_remove(glance, image):
    result = patch(glance.demo, image,
                   {"op": "replace", "path": "/name", "value": "renamed"},
                   {"op": "add", "path": "/min_ram", "value": 512},
                   {"op": "replace", "path": "/min_disk", "value": 1},
                   {"op": "add", "path": "/os.distro", "value": "cirros"},
                   {"op": "replace", "path": "/hw_disk_bus", "value": "virtio"},
                   {"op": "add", "path": "/tags", "value": ["a", "b"]},
                   {"op": "replace", "path": "/os_hidden", "value": True},
                   {"op": "replace", "path": "/protected", "value": True},
                   {"op": "replace", "path": "/visibility", "value": "community"})
    assert result.status_code == 200, result.text
    body = result.json
    assert (body["name"], body["min_ram"], body["min_disk"]) == ("renamed", 512, 1)
    assert body["os.distro"] == "cirros" and body["hw_disk_bus"] == "virtio"
    assert body["tags"] == ["a", "b"] and body["os_hidden"] is True
    assert body["protected"] is True and body["visibility"] == "community"
    assert body["updated_at"] > image["updated_at"]
    result = patch(glance.demo, image, {"op": "remove", "path": "/os.distro"})
    assert "os.distro" not in result.json
    assert glance.demo.get(f"/v2/images/{image['id']}").json == result.json


def test_escaped_pointer(glance, image):
    result = patch(glance.demo, image, {"op": "add", "path": "/a~1b", "value": "v"})
    assert result.json["a/b"] == "v"


@pytest.mark.parametrize("field", ["status", "size", "checksum", "id", "os_hash_value",
                                   "created_at", "file"])
def test_read_only_attributes_are_403(glance, image, field):
    result = patch(glance.demo, image, {"op": "replace", "path": f"/{field}", "value": "x"})
    assert result.status_code == 403
    assert result.json["message"] == f"Attribute '{field}' is read-only."


@pytest.mark.parametrize("body", [
    "{not json", '{"op": "replace"}', '[{"op": "move", "path": "/name", "value": "x"}]',
    '[{"op": "replace", "path": "name", "value": "x"}]', '[{"op": "replace", "path": "/name"}]',
    '[{"path": "/name", "value": "x"}]', '[{"op": "replace", "path": "/a/b", "value": "x"}]',
    '[{"op": "replace", "path": "/min_ram", "value": "lots"}]',
    '[{"op": "add", "path": "/extra", "value": 5}]',
    '[{"op": "replace", "path": "/visibility", "value": "everyone"}]'])
def test_malformed_patches_are_400_and_change_nothing(glance, image, body):
    result = glance.demo.patch(f"/v2/images/{image['id']}", body)
    assert result.status_code == 400, result.text
    assert result.json["code"] == "400 Bad Request"
    assert glance.demo.get(f"/v2/images/{image['id']}").json == image


def test_patch_needs_the_json_patch_media_type(glance, image):
    result = glance.demo.patch(f"/v2/images/{image['id']}",
                               [{"op": "replace", "path": "/name", "value": "x"}],
                               content_type="application/json")
    assert result.status_code == 415


def test_missing_properties_and_core_removal(glance, image):
    assert patch(glance.demo, image, {"op": "replace", "path": "/nope",
                                      "value": "x"}).status_code == 409
    assert patch(glance.demo, image, {"op": "remove", "path": "/nope"}).status_code == 409
    assert patch(glance.demo, image, {"op": "remove", "path": "/name"}).status_code == 403


def test_only_admin_makes_public(glance, image):
    op = {"op": "replace", "path": "/visibility", "value": "public"}
    result = patch(glance.demo, image, op)
    assert result.status_code == 403 and "publicize_image" in result.json["message"]
    assert patch(glance.admin, image, op).json["visibility"] == "public"
    # the owner may still change other attributes of their public image
    assert patch(glance.demo, image, {"op": "replace", "path": "/name",
                                      "value": "n"}).status_code == 200


def test_formats_change_only_while_queued(glance, image):
    op = {"op": "replace", "path": "/disk_format", "value": "qcow2"}
    assert patch(glance.demo, image, op).json["disk_format"] == "qcow2"
    glance.demo.upload(image["id"], b"data")
    op = {"op": "replace", "path": "/disk_format", "value": "raw"}
    assert patch(glance.demo, image, op).status_code == 403


def test_owner_changes_only_by_admin(glance, image):
    op = {"op": "replace", "path": "/owner", "value": "p-other"}
    assert patch(glance.demo, image, op).status_code == 403
    assert patch(glance.admin, image, op).json["owner"] == "p-other"
    assert glance.demo.get(f"/v2/images/{image['id']}").status_code == 404  # shared, not theirs


def test_a_failing_operation_applies_none(glance, image):
    result = patch(glance.demo, image, {"op": "replace", "path": "/name", "value": "new"},
                   {"op": "replace", "path": "/status", "value": "active"})
    assert result.status_code == 403
    assert glance.demo.get(f"/v2/images/{image['id']}").json["name"] == "orig"


def test_patch_unknown_image_is_404(glance):
    result = glance.demo.patch("/v2/images/nope", [{"op": "replace", "path": "/name",
                                                    "value": "x"}])
    assert result.status_code == 404 and result.json["title"] == "Not Found"


# -- the two media types and Glance's pointer rules ---------------------------------------------
V20 = "application/openstack-images-v2.0-json-patch"


def test_v20_media_type_takes_the_operation_as_the_key(glance, image):
    result = glance.demo.patch(f"/v2/images/{image['id']}", [
        {"replace": "/name", "value": "renamed"}, {"add": "/os_distro", "value": "cirros"},
        {"remove": "/hw_disk_bus"}], content_type=V20)
    assert result.status_code == 200, result.text
    assert result.json["name"] == "renamed" and result.json["os_distro"] == "cirros"
    assert "hw_disk_bus" not in result.json


@pytest.mark.parametrize("ops,code", [
    ([{"add": "/hw_disk_bus", "value": "ide"}], 409),   # v2.0's add never overwrites
    ([{"add": "/name", "value": "x"}], 409),             # every image has a name
    ([{"op": "replace", "path": "/name", "value": "x"}], 400),  # v2.1's form
    ([{"replace": "/name", "add": "/name", "value": "x"}], 400),
])
def test_v20_errors(glance, image, ops, code):
    result = glance.demo.patch(f"/v2/images/{image['id']}", ops, content_type=V20)
    assert result.status_code == code, result.text
    assert glance.demo.get(f"/v2/images/{image['id']}").json == image


def test_v21_add_of_an_existing_property_replaces_it(glance, image):
    result = patch(glance.demo, image, {"op": "add", "path": "/hw_disk_bus", "value": "ide"},
                   {"op": "add", "path": "/name", "value": "n"})
    assert result.json["hw_disk_bus"] == "ide" and result.json["name"] == "n"


def test_media_type_parameters_are_ignored_and_others_are_415(glance, image):
    result = glance.demo.patch(f"/v2/images/{image['id']}", [
        {"op": "replace", "path": "/name", "value": "x"}],
        content_type="application/openstack-images-v2.1-json-patch; charset=UTF-8")
    assert result.status_code == 200
    result = glance.demo.patch(f"/v2/images/{image['id']}", [], content_type="text/plain")
    assert result.status_code == 415
    assert result.headers["accept-patch"] == ("application/openstack-images-v2.0-json-patch, "
                                              "application/openstack-images-v2.1-json-patch")
    assert result.json["code"] == "415 Unsupported Media Type"


@pytest.mark.parametrize("path,message", [
    ("name", 'Pointer `name` does not start with "/".'),
    ("/a//b", 'Pointer `/a//b` contains adjacent "/".'),
    ("/a/ /b", 'Pointer `/a/ /b` contains adjacent "/".'),
    ("/name/", 'Pointer `/name/` end with "/".'),
    ("/a~2b", 'Pointer `/a~2b` contains "~" not part of a recognized escape sequence.'),
    ("/tags/0", "Invalid JSON pointer for this resource: '/tags/0'"),
    ("/tags/-", "Invalid JSON pointer for this resource: '/tags/-'"),
])
def test_pointers_are_one_attribute_deep(glance, image, path, message):
    result = patch(glance.demo, image, {"op": "add", "path": path, "value": "x"})
    assert result.status_code == 400 and result.json["message"] == message


def test_pointer_segments_are_trimmed_and_unescaped(glance, image):
    result = patch(glance.demo, image, {"op": "add", "path": "/ a~0b ", "value": "v"},
                   {"op": "replace", "path": "//name", "value": "slashes"})
    assert result.json["a~b"] == "v" and result.json["name"] == "slashes"


@pytest.mark.parametrize("body,message", [
    ({"op": "replace", "path": "/name", "value": "x"},
     "Request body must be a JSON array of operation objects."),
    (["replace"], "Operations must be JSON objects."),
    ([{"path": "/name", "value": "x"}], "Unable to find `op` in JSON Schema change. It must be "
                                        "one of the following: add, remove, replace."),
    ([{"op": "move", "path": "/name"}], "Invalid operation: `move`. It must be one of the "
                                        "following: add, remove, replace."),
    ([{"op": "add", "value": "x"}], "Unable to find 'path' in JSON Schema change"),
    ([{"op": "add", "path": "/name"}], 'Operation "add" requires a member named "value".'),
])
def test_malformed_documents_say_what_is_wrong(glance, image, body, message):
    result = glance.demo.patch(f"/v2/images/{image['id']}", body)
    assert result.status_code == 400 and result.json["message"] == message


def test_the_document_is_checked_before_the_image_is_looked_up(glance):
    missing = "/v2/images/00000000-0000-0000-0000-000000000000"
    assert glance.demo.patch(missing, [{"op": "jump", "path": "/name"}]).status_code == 400
    assert glance.demo.patch(missing, [{"op": "replace", "path": "/size",
                                        "value": 1}]).status_code == 403
    assert glance.demo.patch(missing, [], content_type="text/plain").status_code == 415
    assert glance.demo.patch(missing, []).status_code == 404


@pytest.mark.parametrize("key", ["location", "deleted", "deleted_at", "os_glance_x"])
def test_reserved_attributes_are_403(glance, image, key):
    result = patch(glance.demo, image, {"op": "add", "path": f"/{key}", "value": "x"})
    assert result.status_code == 403 and result.json["message"] == \
        f"Attribute '{key}' is reserved."


def test_schema_image_properties_are_checked(glance, image):
    bad = patch(glance.demo, image, {"op": "add", "path": "/kernel_id", "value": "vmlinuz"})
    assert bad.status_code == 400 and "kernel_id" in bad.json["message"]
    kernel = "0b3d1b3e-6a26-4a47-9f5c-0f5c7f0d2c11"
    good = patch(glance.demo, image, {"op": "add", "path": "/kernel_id", "value": kernel},
                 {"op": "add", "path": "/cinder_encryption_key_deletion_policy",
                  "value": "do_not_delete"})
    assert good.status_code == 200 and good.json["kernel_id"] == kernel
    assert patch(glance.demo, image, {"op": "add", "path": "/cinder_encryption_key_"
                                      "deletion_policy", "value": "later"}).status_code == 400
