"""Keystone through openstacksdk and raw HTTP: breadth, isolation and error formats."""

import pytest
import requests
from openstack import exceptions


def test_sdk_sees_its_own_project_but_not_others(cloud):
    demo = cloud.sdk("minicloud")
    admin = cloud.sdk("minicloud-admin")
    admin_project = admin.identity.find_project("admin")
    assert demo.current_project_id != admin_project.id
    response = demo.identity.get(f"/projects/{admin_project.id}")
    assert response.status_code == 403
    response = demo.identity.get(f"/projects/{demo.current_project_id}")
    assert response.status_code == 200 and response.json()["project"]["name"] == "demo"
    mine = demo.identity.get("/auth/projects").json()["projects"]
    assert [p["name"] for p in mine] == ["demo"]


def test_sdk_crud_round_trip(cloud):
    admin = cloud.sdk("minicloud-admin")
    project = admin.identity.create_project(name="sdk-proj", description="made by the sdk")
    user = admin.identity.create_user(name="sdk-user", password="pw", default_project_id=project.id)
    role = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, role)
    assert admin.identity.validate_user_has_project_role(project, user, role)
    admin.identity.update_project(project, description="changed")
    assert admin.identity.get_project(project.id).description == "changed"
    admin.identity.unassign_project_role_from_user(project, user, role)
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)
    assert admin.identity.find_project("sdk-proj") is None


def _post(cloud, path, data, headers=None):
    return requests.post(cloud.config.base_url("identity") + path, data=data,
                         headers={"Content-Type": "application/json", **(headers or {})},
                         timeout=10)


def test_malformed_json_is_a_keystone_400(cloud):
    response = _post(cloud, "/v3/auth/tokens", "{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400
    assert "Malformed" in response.json()["error"]["message"]


def test_schema_error_names_the_field(cloud):
    response = _post(cloud, "/v3/auth/tokens", '{"auth": {"identity": {"methods": "password"}}}')
    assert response.status_code == 400
    assert "auth.identity.methods" in response.json()["error"]["message"]


def test_missing_and_bad_tokens_are_401_in_keystone_format(cloud):
    base = cloud.config.base_url("identity")
    for headers in ({}, {"X-Auth-Token": "garbage"}):
        response = requests.get(base + "/v3/projects", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["title"] == "Unauthorized"
        assert response.headers["X-Openstack-Request-Id"].startswith("req-")


def test_unknown_ids_are_404_in_keystone_format(cloud):
    admin = cloud.sdk("minicloud-admin")
    for path in ("/projects/nope", "/users/nope", "/roles/nope", "/domains/nope",
                 "/regions/nope", "/services/nope", "/endpoints/nope"):
        response = admin.identity.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == 404


def test_version_discovery_is_public(cloud):
    base = cloud.config.base_url("identity")
    root = requests.get(base, timeout=10)
    assert root.status_code == 300
    entry = root.json()["versions"]["values"][0]
    assert entry["status"] == "stable" and entry["links"][0]["href"] == base + "/v3/"
    assert requests.get(base + "/v3/", timeout=10).json()["version"]["id"].startswith("v3.")


def test_sdk_bad_users_are_keystone_4xx(cloud):
    admin = cloud.sdk("minicloud-admin")
    with pytest.raises(exceptions.NotFoundException, match="Could not find domain: nope"):
        admin.identity.create_user(name="sdk-nodomain", domain_id="nope")
    with pytest.raises(exceptions.BadRequestException, match="NUL"):
        admin.identity.create_user(name="sdk-nul", password="pass\x00word")
    with pytest.raises(exceptions.BadRequestException, match="user.options.bogus"):
        admin.identity.create_user(name="sdk-opts", options={"bogus": True})
    with pytest.raises(exceptions.BadRequestException, match="project.options.sticky"):
        admin.identity.create_project(name="sdk-opts", options={"sticky": True})
    garbage = admin.identity.post("/users", json={"user": {"name": "sdk-fed", "federated": "x"}})
    assert garbage.status_code == 400 and "user.federated" in garbage.json()["error"]["message"]
    assert admin.identity.find_user("sdk-nul") is None
    assert admin.identity.find_user("sdk-fed") is None
