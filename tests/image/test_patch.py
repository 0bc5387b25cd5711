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
