"""Deactivate and reactivate (`/v2/images/{id}/actions/...`): status moves, who may, and
what a deactivated image still allows."""

from __future__ import annotations

import pytest


def act(caller, image, action):
    return caller.post(f"/v2/images/{image['id']}/actions/{action}")


@pytest.fixture
def active(glance) -> dict:
    image = glance.demo.create(name="x", visibility="community")
    assert glance.demo.upload(image["id"], b"disk bytes").status_code == 204
    return image


def status(glance, image) -> str:
    return glance.admin.get(f"/v2/images/{image['id']}").json["status"]


def test_deactivate_and_reactivate_round_trip(glance, active):
    result = act(glance.demo, active, "deactivate")
    assert result.status_code == 204 and result.content == b""
    assert status(glance, active) == "deactivated"
    assert act(glance.demo, active, "deactivate").status_code == 204  # again: no change
    assert status(glance, active) == "deactivated"
    assert act(glance.demo, active, "reactivate").status_code == 204
    assert status(glance, active) == "active"
    assert act(glance.demo, active, "reactivate").status_code == 204  # again: no change
    assert glance.demo.get(f"/v2/images/{active['id']}/file").content == b"disk bytes"


def test_deactivated_data_is_for_admins_only_but_the_record_stays(glance, active):
    act(glance.admin, active, "deactivate")
    for caller in (glance.demo, glance.other):
        result = caller.get(f"/v2/images/{active['id']}/file")
        assert result.status_code == 403
        assert result.json["message"] == ("The requested image has been deactivated. Image "
                                           "data download is forbidden.")
    assert glance.admin.get(f"/v2/images/{active['id']}/file").content == b"disk bytes"
    shown = glance.demo.get(f"/v2/images/{active['id']}").json
    assert shown["status"] == "deactivated" and shown["size"] == len(b"disk bytes")
    assert active["id"] in [i["id"] for i in glance.demo.get("/v2/images").json["images"]]
    assert [i["id"] for i in glance.demo.get("/v2/images?status=deactivated").json[
        "images"]] == [active["id"]]
    # still the owner's to change, not to upload to again
    assert glance.demo.patch(f"/v2/images/{active['id']}", [
        {"op": "replace", "path": "/name", "value": "y"}]).status_code == 200
    assert glance.demo.upload(active["id"], b"other").status_code == 409


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
def test_only_active_or_deactivated_images_take_actions(glance, action):
    queued = glance.demo.create(name="q")
    result = act(glance.demo, queued, action)
    assert result.status_code == 403
    assert result.json["message"] == f"Not allowed to {action} image in status 'queued'"
    assert status(glance, queued) == "queued"


def test_who_may_deactivate(glance, active):
    # visible but another project's: 403; invisible: 404; unknown: 404
    result = act(glance.other, active, "deactivate")
    assert result.status_code == 403 and status(glance, active) == "active"
    private = glance.demo.create(name="p", visibility="private")
    assert act(glance.other, private, "deactivate").status_code == 404
    assert act(glance.demo, {"id": "nope"}, "deactivate").status_code == 404
    assert glance.anonymous.post(f"/v2/images/{active['id']}/actions/deactivate"
                                 ).status_code == 401
    assert act(glance.admin, active, "deactivate").status_code == 204  # any image
    assert act(glance.other, active, "reactivate").status_code == 403
    assert status(glance, active) == "deactivated"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_actions_take_only_post(glance, active, method):
    result = glance.demo.request(method, f"/v2/images/{active['id']}/actions/deactivate")
    assert result.status_code == 405 and result.json["code"] == "405 Method Not Allowed"
