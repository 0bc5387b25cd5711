"""`GET /v2/images` as Glance checks it: limits, every documented filter and its errors,
sort keys, and the `first`/`next` links."""

from __future__ import annotations

import pytest

from minicloud.image import views


@pytest.fixture
def sized(glance) -> dict:
    """Four images of demo's: three with 10, 100 and 1000 bytes, one without data."""
    made = {}
    for name, size in (("ten", 10), ("hundred", 100), ("thousand", 1000), ("empty", None)):
        image = glance.demo.create(name=name)
        if size is not None:
            assert glance.demo.upload(image["id"], b"x" * size).status_code == 204
        made[name] = glance.demo.get(f"/v2/images/{image['id']}").json
    return made


def names(glance, query: str, caller=None) -> set[str]:
    result = (caller or glance.demo).get("/v2/images?" + query)
    assert result.status_code == 200, result.text
    return {i["name"] for i in result.json["images"]}


def error(glance, query: str) -> str:
    result = glance.demo.get("/v2/images?" + query)
    assert result.status_code == 400 and result.json["code"] == "400 Bad Request"
    return result.json["message"]


# -- limit ------------------------------------------------------------------------------------
def test_a_huge_limit_is_clamped_to_1000(glance):
    for i in range(1001):  # straight into the store: 1001 API calls would be slow
        glance.store.insert({"id": f"00000000-0000-0000-0000-{i:012d}", "name": f"i{i}",
                             "status": "queued", "visibility": "private", "owner": "p-demo",
                             "created_at": views.now(lambda: 1_600_000_000 + i),
                             "updated_at": "2020-01-01T00:00:00Z"})
    huge = str(10**30)
    body = glance.demo.get(f"/v2/images?limit={huge}").json
    assert len(body["images"]) == 1000
    assert body["next"] == f"/v2/images?limit={huge}&marker={body['images'][-1]['id']}"
    rest = glance.demo.get(body["next"]).json
    assert [i["name"] for i in rest["images"]] == ["i0"] and "next" not in rest
    assert len(glance.demo.get("/v2/images").json["images"]) == 25  # the default page


@pytest.mark.parametrize("raw,message", [
    ("-1", "limit param must be positive"), (f"-{10**30}", "limit param must be positive"),
    ("abc", "limit param must be an integer"), ("1.5", "limit param must be an integer"),
    ("1e3", "limit param must be an integer"), ("", "limit param must be an integer"),
    ("9" * 5000, "limit param must be an integer"),  # past Python's int() digit limit
])
def test_bad_limits_are_400(glance, raw, message):
    assert error(glance, f"limit={raw}") == message


def test_limit_zero_is_an_empty_page_without_next(glance, sized):
    body = glance.demo.get("/v2/images?limit=0").json
    assert body["images"] == [] and "next" not in body


def test_a_full_page_has_a_next_link_even_when_nothing_follows(glance, sized):
    body = glance.demo.get("/v2/images?limit=4").json
    assert len(body["images"]) == 4 and "next" in body
    last = glance.demo.get(body["next"]).json
    assert last["images"] == [] and "next" not in last
    assert last["first"] == "/v2/images?limit=4"


# -- filters ------------------------------------------------------------------------------------
@pytest.mark.parametrize("query,expected", [
    ("size_min=100", {"hundred", "thousand"}),
    ("size_max=100", {"ten", "hundred"}),
    ("size_min=11&size_max=999", {"hundred"}),
    ("size_min=-5", {"ten", "hundred", "thousand"}),
    (f"size_min={10**30}", set()),
    (f"size_max={10**30}", {"ten", "hundred", "thousand"}),
    ("size=100", {"hundred"}),
    ("status=queued", {"empty"}),
    ("status=in:queued,active", {"ten", "hundred", "thousand", "empty"}),
    ("name=eq:ten", {"ten"}),
    ('name=in:"ten",hundred', {"ten", "hundred"}),
    ("disk_format=raw&container_format=bare", {"ten", "hundred", "thousand", "empty"}),
    ("owner=p-demo&visibility=shared&member_status=all", {"ten", "hundred", "thousand",
                                                          "empty"}),
    ("member_status=pending", {"ten", "hundred", "thousand", "empty"}),  # no members here
    ("protected=false", {"ten", "hundred", "thousand", "empty"}),
    ("protected=true", set()),
    ("os_hidden=FALSE", {"ten", "hundred", "thousand", "empty"}),
    ("os_hash_algo=sha512", {"ten", "hundred", "thousand"}),
])
def test_filters(glance, sized, query, expected):
    assert names(glance, query) == expected


def test_checksum_and_hash_filters(glance, sized):
    ten = sized["ten"]
    assert names(glance, f"checksum={ten['checksum']}") == {"ten"}
    assert names(glance, f"os_hash_value={ten['os_hash_value']}") == {"ten"}
    assert names(glance, f"id=in:{ten['id']},{sized['empty']['id']}") == {"ten", "empty"}


def test_names_with_commas_and_colons_need_quotes_or_eq(glance):
    glance.demo.create(name="a,b")
    glance.demo.create(name="c:d")
    assert names(glance, 'name=in:"a,b"') == {"a,b"}
    assert names(glance, "name=eq:c:d") == {"c:d"}
    assert error(glance, "name=c:d") == "Unable to filter by unknown operator 'c'."


def test_time_filters(glance, sized):
    stamps = sorted(i["created_at"] for i in sized.values())  # one second apart
    assert names(glance, f"created_at=gte:{stamps[2]}") == {"thousand", "empty"}
    assert names(glance, f"created_at=lt:{stamps[1]}") == {"ten"}
    assert names(glance, f"created_at={stamps[0]}") == {"ten"}
    assert names(glance, f"created_at=neq:{stamps[0]}") == {"hundred", "thousand", "empty"}
    assert names(glance, "updated_at=gt:2000-01-01T00:00:00%2B02:00") == set(sized)
    assert names(glance, "updated_at=lt:2000-01-01") == set()


@pytest.mark.parametrize("query,message", [
    ("size_min=big", "Unable to filter on a range with a non-numeric value."),
    ("size_max=1.5", "Unable to filter on a range with a non-numeric value."),
    ("status=gt:active", "Unable to filter by unknown operator 'gt'."),
    ('name=in:"a', 'Invalid filter value "a. The quote is not closed.'),
    ('name=in:x"a"', 'Invalid filter value x"a". There is no comma before opening quotation '
                     'mark.'),
    ('name=in:"a"x', 'Invalid filter value "a"x. There is no comma after closing quotation '
                     'mark.'),
    ("created_at=gte:yesterday", 'Bad "created_at" query filter format. Use ISO 8601 '
                                 'DateTime notation.'),
    ("created_at=after:2020-01-01T00:00:00Z", "Unable to filter on a unknown operator."),
    ("updated_at=lt:9999-12-31T23:59:59-23:59", 'Bad "updated_at" query filter format. Use '
                                                'ISO 8601 DateTime notation.'),
    ("member_status=maybe", "Invalid status: maybe"),
    ("changes-since=2020-01-01T00:00:00Z", 'The "changes-since" filter is no longer '
                                           'available on v2.'),
    ("protected=True", "Invalid value 'True' for 'protected' filter. Valid values are 'true' "
                       "or 'false'."),
    ("os_hidden=1", "Invalid value '1' for 'os_hidden' filter. Valid values are 'true' or "
                    "'false'."),
    ("visibility=everyone", "Invalid visibility value: everyone"),
    ("marker=nope", "No image found with ID nope"),
])
def test_bad_filters_are_400_with_glance_messages(glance, query, message):
    assert error(glance, query) == message


# -- sorting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["name", "status", "container_format", "disk_format", "size",
                                 "id", "created_at", "updated_at"])
def test_glance_sort_keys(glance, sized, key):
    assert len(glance.demo.get(f"/v2/images?sort_key={key}").json["images"]) == 4


@pytest.mark.parametrize("query,message", [
    ("sort_key=min_ram", "Invalid sort key: min_ram. It must be one of the following: name, "
                         "status, container_format, disk_format, size, id, created_at, "
                         "updated_at."),
    ("sort=owner:asc", "Invalid sort key: owner. It must be one of the following: name, "
                       "status, container_format, disk_format, size, id, created_at, "
                       "updated_at."),
    ("sort=name:up", "Invalid sort direction: up"),
    ("sort=name&sort_dir=asc", "Old and new sorting syntax cannot be combined"),
    ("sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
     "Number of sort dirs does not match the number of sort keys"),
])
def test_bad_sorts_are_400(glance, query, message):
    assert error(glance, query) == message


def test_sizes_sort_with_images_without_data_last_when_descending(glance, sized):
    body = glance.demo.get("/v2/images?sort=size:desc").json
    assert [i["name"] for i in body["images"]] == ["thousand", "hundred", "ten", "empty"]
    body = glance.demo.get("/v2/images?sort_key=size&sort_dir=asc").json
    assert [i["name"] for i in body["images"]] == ["empty", "ten", "hundred", "thousand"]
