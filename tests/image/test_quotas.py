"""Glance's per-image limits: 128 extra properties and 128 tags, a 413 beyond them on
create, on a JSON patch and on a tag PUT."""

from __future__ import annotations

from minicloud.image import schemas


def props(n: int, prefix: str = "p_") -> dict:
    return {f"{prefix}{i}": "v" for i in range(n)}


def add_ops(n: int, prefix: str) -> list[dict]:
    return [{"op": "add", "path": f"/{prefix}{i}", "value": "v"} for i in range(n)]


def test_create_with_128_properties_but_not_129(glance):
    assert schemas.MAX_PROPERTIES == 128  # Glance's image_property_quota default
    assert len([k for k in glance.demo.create(**props(128)) if k.startswith("p_")]) == 128
    result = glance.demo.post("/v2/images", json={"name": "x", **props(129)})
    assert result.status_code == 413
    assert result.json == {
        "message": "The limit has been exceeded on the number of allowed image properties. "
                   "Attempted: 129, Maximum: 128",
        "code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}
    assert glance.demo.get("/v2/images?name=x").json["images"] == []


def test_patch_adding_past_the_limit_is_413_and_changes_nothing(glance):
    image = glance.demo.create(**props(100))
    path = f"/v2/images/{image['id']}"
    assert glance.demo.patch(path, add_ops(28, "q")).status_code == 200
    result = glance.demo.patch(path, [{"op": "replace", "path": "/name", "value": "n"},
                                      *add_ops(1, "r")])
    assert result.status_code == 413 and "Attempted: 129, Maximum: 128" in \
        result.json["message"]
    shown = glance.demo.get(path).json
    assert shown["name"] is None and "r0" not in shown
    # swapping one property for another adds none in the end: allowed
    assert glance.demo.patch(path, [{"op": "remove", "path": "/p_0"},
                                    *add_ops(1, "r")]).status_code == 200


def test_an_image_over_the_limit_may_still_change_without_adding(glance):
    image = glance.demo.create(**props(10))
    glance.store.update(image["id"], {"properties": props(140)})  # made under a larger quota
    path = f"/v2/images/{image['id']}"
    assert glance.demo.patch(path, [{"op": "replace", "path": "/p_1", "value": "w"},
                                    {"op": "remove", "path": "/p_2"}]).status_code == 200
    assert glance.demo.patch(path, add_ops(1, "new")).status_code == 413


def test_tags_past_128_are_413_everywhere(glance):
    tags = [f"t{i}" for i in range(129)]
    result = glance.demo.post("/v2/images", json={"name": "x", "tags": tags})
    assert result.status_code == 413 and "image tags. Attempted: 129" in result.json["message"]
    image = glance.demo.create(name="y", tags=tags[:128])
    path = f"/v2/images/{image['id']}"
    assert glance.demo.patch(path, [{"op": "replace", "path": "/tags",
                                     "value": tags}]).status_code == 413
    assert glance.demo.put(f"{path}/tags/t128").status_code == 413
    assert glance.demo.put(f"{path}/tags/t0").status_code == 204  # already there
    assert len(glance.demo.get(path).json["tags"]) == 128


def test_duplicate_tags_count_but_are_kept_once(glance):
    assert glance.demo.create(name="x", tags=["a"] * 128)["tags"] == ["a"]
    assert glance.demo.post("/v2/images", json={"tags": ["a"] * 129}).status_code == 413
