"""Keystone's resources through HTTP: CRUD, name lookups, conflicts, policy, revocation,
role assignments and the catalog, as the openstack CLI and SDK use them."""

import pytest


def error(result) -> dict:
    """The Keystone error body, checked for the shape keystoneauth parses."""
    body = result.json["error"]
    assert body["code"] == result.status_code and body["title"] and body["message"]
    return body


def create(caller, plural: str, fields: dict) -> dict:
    singular = plural[:-1]
    result = caller.post(f"/v3/{plural}", json={singular: fields})
    assert result.status_code == 201, result.text
    return result.json[singular]


# -- projects -------------------------------------------------------------------------------

def test_project_crud_and_filters(admin):
    lab = create(admin, "projects", {"name": "lab", "description": None, "enabled": True,
                                     "tags": ["teaching"]})
    assert lab["domain_id"] == "default" and lab["parent_id"] == "default"
    assert lab["is_domain"] is False and lab["enabled"] is True and lab["options"] == {}
    assert lab["tags"] == ["teaching"]
    assert lab["links"]["self"].endswith(f"/v3/projects/{lab['id']}")
    listed = admin.get("/v3/projects", params={"name": "lab"}).json
    assert [p["id"] for p in listed["projects"]] == [lab["id"]]
    assert listed["links"]["next"] is None
    changed = admin.patch(f"/v3/projects/{lab['id']}", json={"project": {
        "id": lab["id"], "description": "d", "enabled": False}})
    assert changed.status_code == 200 and changed.json["project"]["enabled"] is False
    assert [p["name"] for p in admin.get("/v3/projects?enabled=false").json["projects"]] == ["lab"]
    assert [p["name"] for p in admin.get("/v3/projects?tags=teaching").json["projects"]] == ["lab"]
    assert admin.get(f"/v3/projects/{lab['id']}").json["project"]["description"] == "d"
    assert admin.delete(f"/v3/projects/{lab['id']}").status_code == 204
    assert admin.get(f"/v3/projects/{lab['id']}").status_code == 404


def test_project_name_lookup_is_404_then_list_by_name_finds_it(admin):
    result = admin.get("/v3/projects/demo")
    assert result.status_code == 404
    assert error(result)["message"] == "Could not find project: demo."
    assert [p["name"] for p in admin.get("/v3/projects?name=demo").json["projects"]] == ["demo"]


def test_duplicate_project_is_409(admin):
    result = admin.post("/v3/projects", json={"project": {"name": "demo"}})
    assert result.status_code == 409
    assert error(result)["message"] == (
        "Conflict occurred attempting to store project - "
        "Duplicate entry found with name demo at domain ID default.")
    other = create(admin, "projects", {"name": "other"})
    assert admin.patch(f"/v3/projects/{other['id']}",
                       json={"project": {"name": "demo"}}).status_code == 409


def test_project_hierarchy_and_bad_references(admin):
    parent = create(admin, "projects", {"name": "parent"})
    child = create(admin, "projects", {"name": "child", "parent_id": parent["id"]})
    assert child["parent_id"] == parent["id"]
    children = admin.get("/v3/projects", params={"parent_id": parent["id"]}).json["projects"]
    assert [p["name"] for p in children] == ["child"]
    assert error(admin.delete(f"/v3/projects/{parent['id']}"))["code"] == 403
    assert admin.post("/v3/projects", json={"project": {"name": "x", "parent_id": "nope"}}
                      ).status_code == 404
    for kind in ("project", "user", "group"):  # Keystone: DomainNotFound
        missing = admin.post(f"/v3/{kind}s", json={kind: {"name": "x", "domain_id": "nope"}})
        assert missing.status_code == 404, kind
        assert error(missing)["message"] == "Could not find domain: nope."
    assert admin.patch(f"/v3/projects/{child['id']}", json={"project": {"domain_id": "other"}}
                       ).status_code == 400


def test_bad_bodies_are_400_naming_the_field(admin):
    malformed = admin.post("/v3/projects", body="{not json")
    assert malformed.status_code == 400 and "Malformed" in error(malformed)["message"]
    for body, field in (({"project": {"name": 5}}, "project.name"),
                        ({"project": {"name": "x", "enabled": "yes"}}, "project.enabled"),
                        ({"project": {"name": "x", "tags": ["a,b"]}}, "project.tags.0"),
                        ({"user": {"name": "x", "password_hash": "h"}}, "user.password_hash"),
                        ({"project": {}}, "project.name")):
        path = "/v3/users" if "user" in body else "/v3/projects"
        result = admin.post(path, json=body)
        assert result.status_code == 400, body
        assert f"'{field}'" in error(result)["message"]


# -- users ----------------------------------------------------------------------------------

def test_user_crud_never_shows_the_password(keystone, admin, store):
    demo_id = keystone.id_of("projects", "demo")
    alice = create(admin, "users", {"name": "alice", "password": "s3cret", "enabled": True,
                                    "domain_id": "default", "default_project_id": demo_id,
                                    "email": "a@example.org", "favourite": "blue"})
    assert alice["default_project_id"] == demo_id and alice["password_expires_at"] is None
    assert alice["favourite"] == "blue"  # Keystone keeps attributes it does not know
    assert not {"password", "password_hash"} & set(alice)
    assert store.user(alice["id"])["password_hash"].startswith("scrypt$")
    listed = admin.get("/v3/users?name=alice").json["users"]
    assert [u["id"] for u in listed] == [alice["id"]]
    assert "password_hash" not in listed[0] and "password" not in listed[0]
    changed = admin.patch(f"/v3/users/{alice['id']}", json={"user": {"email": "b@example.org"}})
    assert changed.json["user"]["email"] == "b@example.org"
    assert admin.get("/v3/users/alice").status_code == 404  # names fall back to ?name=
    assert admin.post("/v3/users", json={"user": {"name": "alice"}}).status_code == 409


def test_user_delete_revokes_and_removes_assignments_and_memberships(keystone, admin, store):
    bob = keystone.new_member(admin, "bob")
    bob_api = keystone.as_user("bob", "pw", "demo")
    group = create(admin, "groups", {"name": "g"})
    admin.put(f"/v3/groups/{group['id']}/users/{bob['id']}")
    assert admin.delete(f"/v3/users/{bob['id']}").status_code == 204
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 401
    assert store.role_assignments(user_id=bob["id"]) == []
    assert admin.get(f"/v3/groups/{group['id']}/users").json["users"] == []
    assert error(admin.get(f"/v3/users/{bob['id']}"))["code"] == 404


def test_password_change_by_the_user_revokes_old_tokens(keystone, admin):
    bob = keystone.new_member(admin, "bob", "first")
    bob_api = keystone.as_user("bob", "first", "demo")
    wrong = bob_api.post(f"/v3/users/{bob['id']}/password",
                         json={"user": {"password": "second", "original_password": "nope"}})
    assert wrong.status_code == 401 and error(wrong)["title"] == "Unauthorized"
    demo_api = keystone.as_user("demo", project="demo")
    other = demo_api.post(f"/v3/users/{bob['id']}/password",
                          json={"user": {"password": "x", "original_password": "first"}})
    assert other.status_code == 403
    done = bob_api.post(f"/v3/users/{bob['id']}/password",
                        json={"user": {"password": "second", "original_password": "first"}})
    assert done.status_code == 204
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 401
    assert keystone.login("bob", "first", "demo").status_code == 401
    assert keystone.login("bob", "second", "demo").status_code == 201


def test_admin_password_reset_revokes_old_tokens(keystone, admin):
    bob = keystone.new_member(admin, "bob", "first")
    bob_api = keystone.as_user("bob", "first", "demo")
    admin.patch(f"/v3/users/{bob['id']}", json={"user": {"password": "reset"}})
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 401
    assert keystone.login("bob", "reset", "demo").status_code == 201


def test_passwords_with_nul_or_too_long_are_400_without_echo(keystone, admin):
    bob = keystone.new_member(admin, "bob", "first")
    bob_api = keystone.as_user("bob", "first", "demo")
    for bad in ("sec\x00ret", "\x00", "x" * 4097):
        for result in (admin.post("/v3/users", json={"user": {"name": "nul", "password": bad}}),
                       admin.patch(f"/v3/users/{bob['id']}", json={"user": {"password": bad}}),
                       bob_api.post(f"/v3/users/{bob['id']}/password", json={"user": {
                           "password": bad, "original_password": "first"}})):
            assert result.status_code == 400
            assert "'user.password'" in error(result)["message"]
            assert bad[:4] not in result.text  # the password is never repeated
    assert keystone.login("bob", "first", "demo").status_code == 201  # nothing changed
    assert keystone.store.user_by_name("nul", "default") is None


def test_user_options_are_checked_merged_and_removed_by_null(admin):
    for options, field in (({"bogus": True}, "user.options.bogus"),
                           ({"lock_password": "yes"}, "user.options.lock_password"),
                           ({"multi_factor_auth_rules": [["password"], []]},
                            "user.options.multi_factor_auth_rules.1"),
                           ({"multi_factor_auth_rules": "password"},
                            "user.options.multi_factor_auth_rules")):
        result = admin.post("/v3/users", json={"user": {"name": "opt", "options": options}})
        assert result.status_code == 400, options
        assert f"'{field}'" in error(result)["message"]
    user = create(admin, "users", {"name": "opt", "options": {
        "lock_password": True, "multi_factor_auth_rules": [["password", "totp"]]}})
    assert user["options"] == {"lock_password": True,
                               "multi_factor_auth_rules": [["password", "totp"]]}
    changed = admin.patch(f"/v3/users/{user['id']}", json={"user": {"options": {
        "lock_password": None, "ignore_password_expiry": False}}}).json["user"]
    assert changed["options"] == {"ignore_password_expiry": False,
                                  "multi_factor_auth_rules": [["password", "totp"]]}


def test_federated_attributes_are_checked_and_no_provider_exists(admin):
    for federated in ("garbage", [1], [{"idp_id": "idp"}], [{"idp_id": "idp", "protocols": []}],
                      [{"idp_id": "idp", "protocols": [{"protocol_id": "saml2"}]}], None):
        result = admin.post("/v3/users", json={"user": {"name": "fed", "federated": federated}})
        assert result.status_code == 400, federated
        assert "'user.federated" in error(result)["message"]
    link = {"idp_id": "idp", "protocols": [{"protocol_id": "saml2", "unique_id": "u1"}]}
    result = admin.post("/v3/users", json={"user": {"name": "fed", "federated": [link]}})
    assert result.status_code == 400
    assert error(result)["message"] == "Could not find Identity Provider: idp."
    plain = create(admin, "users", {"name": "fed", "federated": []})
    assert "federated" not in plain
    result = admin.patch(f"/v3/users/{plain['id']}", json={"user": {"federated": [link]}})
    assert result.status_code == 400


@pytest.mark.parametrize("kind", ["project", "domain", "role"])
def test_resource_options_are_checked(admin, kind):
    for options, field in (({"bogus": True}, f"{kind}.options.bogus"),
                           ({"immutable": "yes"}, f"{kind}.options.immutable"),
                           ("immutable", f"{kind}.options")):
        result = admin.post(f"/v3/{kind}s", json={kind: {"name": "o", "options": options}})
        assert result.status_code == 400, options
        assert f"'{field}'" in error(result)["message"]
    result = admin.post(f"/v3/{kind}s", json={kind: {"name": "o", "options": {"immutable": True}}})
    assert result.status_code == 400 and "immutable" in error(result)["message"]
    made = create(admin, f"{kind}s", {"name": "o", "options": {"immutable": False}})
    bogus = admin.patch(f"/v3/{kind}s/{made['id']}", json={kind: {"options": {"x": 1}}})
    assert bogus.status_code == 400


def test_disabled_user_loses_tokens_and_login(keystone, admin):
    bob = keystone.new_member(admin, "bob")
    bob_api = keystone.as_user("bob", "pw", "demo")
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 200
    admin.patch(f"/v3/users/{bob['id']}", json={"user": {"enabled": False}})
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 401
    assert error(keystone.login("bob", "pw", "demo"))["code"] == 401
    admin.patch(f"/v3/users/{bob['id']}", json={"user": {"enabled": True}})
    assert keystone.login("bob", "pw", "demo").status_code == 201
    assert bob_api.get(f"/v3/users/{bob['id']}").status_code == 401  # revoked, not suspended


# -- policy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/v3/projects"), ("GET", "/v3/users"), ("GET", "/v3/roles"), ("GET", "/v3/groups"),
    ("GET", "/v3/domains"), ("GET", "/v3/role_assignments"), ("POST", "/v3/projects"),
    ("POST", "/v3/users"), ("POST", "/v3/roles"), ("POST", "/v3/domains"),
    ("POST", "/v3/regions"), ("POST", "/v3/services"), ("POST", "/v3/endpoints")])
def test_member_is_forbidden_admin_apis(demo, method, path):
    result = demo.request(method, path, json={})
    assert result.status_code == 403
    assert error(result)["message"].startswith("You are not authorized to perform the requested")


def test_member_sees_only_themself_and_their_projects(keystone, demo, admin):
    demo_id, admin_id = keystone.id_of("users", "demo"), keystone.id_of("users", "admin")
    demo_project = keystone.id_of("projects", "demo")
    admin_project = keystone.id_of("projects", "admin")
    assert demo.get(f"/v3/users/{demo_id}").json["user"]["name"] == "demo"
    assert demo.get(f"/v3/users/{admin_id}").status_code == 403
    assert demo.get(f"/v3/projects/{demo_project}").json["project"]["name"] == "demo"
    assert demo.get(f"/v3/projects/{admin_project}").status_code == 403
    mine = demo.get(f"/v3/users/{demo_id}/projects").json["projects"]
    assert [p["name"] for p in mine] == ["demo"]
    assert demo.get(f"/v3/users/{admin_id}/projects").status_code == 403
    assert demo.get("/v3/domains/default").json["domain"]["name"] == "Default"
    assert demo.patch(f"/v3/users/{demo_id}", json={"user": {"enabled": True}}).status_code == 403
    assert keystone.anonymous.get("/v3/projects").status_code == 401


def test_member_lists_own_role_assignments_only(keystone, demo):
    demo_id = keystone.id_of("users", "demo")
    mine = demo.get("/v3/role_assignments", params={"user.id": demo_id}).json["role_assignments"]
    assert [a["role"]["id"] for a in mine] == [keystone.id_of("roles", "member")]
    other = {"user.id": keystone.id_of("users", "admin")}
    assert demo.get("/v3/role_assignments", params=other).status_code == 403


def test_member_reads_the_catalog(keystone, demo):
    endpoints = demo.get("/v3/endpoints").json["endpoints"]
    assert endpoints and all(e["region"] == e["region_id"] == "RegionOne" for e in endpoints)
    for endpoint in endpoints:  # what `openstack endpoint list` does next
        assert demo.get(f"/v3/services/{endpoint['service_id']}").json["service"]["type"]
    assert [r["id"] for r in demo.get("/v3/regions").json["regions"]] == ["RegionOne"]


# -- roles and grants -----------------------------------------------------------------------

def test_role_crud_and_delete_removes_assignments(keystone, admin, store):
    role = create(admin, "roles", {"name": "auditor", "description": "reads logs"})
    assert role["domain_id"] is None and role["options"] == {}
    assert admin.post("/v3/roles", json={"role": {"name": "auditor"}}).status_code == 409
    assert admin.get("/v3/roles/auditor").status_code == 404
    assert [r["id"] for r in admin.get("/v3/roles?name=auditor").json["roles"]] == [role["id"]]
    bob = keystone.new_member(admin, "bob", role="auditor")
    assert admin.patch(f"/v3/roles/{role['id']}", json={"role": {"name": "auditors"}}
                       ).json["role"]["name"] == "auditors"
    assert admin.delete(f"/v3/roles/{role['id']}").status_code == 204
    assert store.role_assignments(user_id=bob["id"]) == []


def test_grant_check_list_and_revoke(keystone, admin):
    bob = keystone.new_member(admin, "bob", project="admin", role="reader")
    project, reader = keystone.id_of("projects", "admin"), keystone.id_of("roles", "reader")
    grant = f"/v3/projects/{project}/users/{bob['id']}/roles/{reader}"
    assert admin.head(grant).status_code == 204
    roles = admin.get(f"/v3/projects/{project}/users/{bob['id']}/roles").json["roles"]
    assert [r["name"] for r in roles] == ["reader"]
    assert keystone.login("bob", "pw", "admin").status_code == 201
    assert admin.delete(grant).status_code == 204
    assert admin.head(grant).status_code == 404
    assert error(admin.delete(grant))["code"] == 404
    assert keystone.login("bob", "pw", "admin").status_code == 401


@pytest.mark.parametrize("bad,message", [("project", "Could not find project: nope."),
                                         ("user", "Could not find user: nope."),
                                         ("role", "Could not find role: nope.")])
def test_grant_with_unknown_reference_is_404(keystone, admin, bad, message):
    ids = {"project": keystone.id_of("projects", "demo"), "user": keystone.id_of("users", "demo"),
           "role": keystone.id_of("roles", "member"), bad: "nope"}
    result = admin.put(f"/v3/projects/{ids['project']}/users/{ids['user']}/roles/{ids['role']}")
    assert result.status_code == 404 and error(result)["message"] == message


def test_system_grant(keystone, admin):
    demo_id, admin_role = keystone.id_of("users", "demo"), keystone.id_of("roles", "admin")
    path = f"/v3/system/users/{demo_id}/roles/{admin_role}"
    assert admin.head(path).status_code == 404
    assert admin.put(path).status_code == 204
    assert [r["name"] for r in admin.get(f"/v3/system/users/{demo_id}/roles").json["roles"]] == [
        "admin"]
    listed = admin.get("/v3/role_assignments?scope.system=all").json["role_assignments"]
    assert [(a["user"]["id"], a["scope"]) for a in listed] == [(demo_id, {"system": {"all": True}})]
    assert listed[0]["links"]["assignment"].endswith(path)


def test_domain_grant_and_domain_scope_names(keystone, admin):
    demo_id, reader = keystone.id_of("users", "demo"), keystone.id_of("roles", "reader")
    assert admin.put(f"/v3/domains/default/users/{demo_id}/roles/{reader}").status_code == 204
    listed = admin.get("/v3/role_assignments?scope.domain.id=default&include_names&effective")
    item = listed.json["role_assignments"][0]
    assert item["scope"] == {"domain": {"id": "default", "name": "Default"}}
    assert (item["user"]["name"], item["role"]["name"]) == ("demo", "reader")
    assert keystone.login("demo").status_code == 201  # default project scope still works


def test_role_assignment_filters_and_names(keystone, admin, store):
    bob = keystone.new_member(admin, "bob", project="admin", role="reader")
    demo_project = keystone.id_of("projects", "demo")
    everything = admin.get("/v3/role_assignments").json["role_assignments"]
    assert len(everything) == len(store.role_assignments())
    assert bob["id"] in {a["user"]["id"] for a in everything}
    only_bob = admin.get("/v3/role_assignments", params={"user.id": bob["id"]}).json
    assert [a["role"]["id"] for a in only_bob["role_assignments"]] == [
        keystone.id_of("roles", "reader")]
    by_project = admin.get("/v3/role_assignments", params={"scope.project.id": demo_project}).json
    assert [a["user"]["id"] for a in by_project["role_assignments"]] == [
        keystone.id_of("users", "demo")]
    by_role = admin.get("/v3/role_assignments",
                        params={"role.id": keystone.id_of("roles", "reader")}).json
    assert [a["user"]["id"] for a in by_role["role_assignments"]] == [bob["id"]]
    named = admin.get("/v3/role_assignments", params={"user.id": bob["id"],
                                                      "include_names": "True"}).json
    item = named["role_assignments"][0]
    assert item["role"]["name"] == "reader"
    assert item["user"] == {"id": bob["id"], "name": "bob",
                            "domain": {"id": "default", "name": "Default"}}
    assert item["scope"]["project"]["name"] == "admin"
    assert item["scope"]["project"]["domain"]["name"] == "Default"
    assert "/v3/projects/" in item["links"]["assignment"]
    both = admin.get("/v3/role_assignments", params={"user.id": bob["id"], "group.id": "g"})
    assert both.status_code == 400


def test_effective_assignments_expand_groups(keystone, admin):
    group = create(admin, "groups", {"name": "students"})
    bob = keystone.new_member(admin, "bob", project="admin", role="reader")
    admin.put(f"/v3/groups/{group['id']}/users/{bob['id']}")
    demo_project, member = keystone.id_of("projects", "demo"), keystone.id_of("roles", "member")
    admin.put(f"/v3/projects/{demo_project}/groups/{group['id']}/roles/{member}")
    direct = admin.get("/v3/role_assignments", params={"group.id": group["id"]}).json
    assert [a["group"]["id"] for a in direct["role_assignments"]] == [group["id"]]
    effective = admin.get("/v3/role_assignments",
                          params={"user.id": bob["id"], "effective": "True"}).json
    scopes = sorted(a["scope"]["project"]["id"] for a in effective["role_assignments"])
    assert scopes == sorted([keystone.id_of("projects", "admin"), demo_project])
    via = [a for a in effective["role_assignments"] if "membership" in a["links"]]
    assert via[0]["user"]["id"] == bob["id"] and "group" not in via[0]
    assert via[0]["links"]["membership"].endswith(f"/v3/groups/{group['id']}/users/{bob['id']}")
    assert keystone.login("bob", "pw", "demo").status_code == 201  # the group's role counts


# -- groups ---------------------------------------------------------------------------------

def test_group_crud_and_membership(keystone, admin):
    group = create(admin, "groups", {"name": "students", "description": None})
    assert admin.post("/v3/groups", json={"group": {"name": "students"}}).status_code == 409
    demo_id = keystone.id_of("users", "demo")
    member = f"/v3/groups/{group['id']}/users/{demo_id}"
    assert admin.head(member).status_code == 404
    assert admin.put(member).status_code == 204
    assert admin.head(member).status_code == 204
    assert [u["name"] for u in admin.get(f"/v3/groups/{group['id']}/users").json["users"]] == [
        "demo"]
    assert [g["id"] for g in admin.get(f"/v3/users/{demo_id}/groups").json["groups"]] == [
        group["id"]]
    assert admin.put(f"/v3/groups/{group['id']}/users/nope").status_code == 404
    assert admin.delete(member).status_code == 204
    assert admin.delete(member).status_code == 404
    renamed = admin.patch(f"/v3/groups/{group['id']}", json={"group": {"name": "alumni"}})
    assert renamed.json["group"]["name"] == "alumni"
    assert admin.delete(f"/v3/groups/{group['id']}").status_code == 204
    assert admin.get(f"/v3/groups/{group['id']}").status_code == 404


# -- domains --------------------------------------------------------------------------------

def test_domain_lookup_by_name(admin):
    assert admin.get("/v3/domains/Default").status_code == 404
    found = admin.get("/v3/domains?name=Default").json["domains"]
    assert [(d["id"], d["enabled"], d["options"]) for d in found] == [("default", True, {})]


def test_domain_must_be_disabled_before_delete_and_takes_its_contents(admin, keystone):
    domain = create(admin, "domains", {"name": "school", "description": "a school"})
    assert admin.post("/v3/domains", json={"domain": {"name": "school"}}).status_code == 409
    project = create(admin, "projects", {"name": "lab", "domain_id": domain["id"]})
    user = create(admin, "users", {"name": "pupil", "domain_id": domain["id"], "password": "pw"})
    refused = admin.delete(f"/v3/domains/{domain['id']}")
    assert refused.status_code == 403
    assert error(refused)["message"] == ("Cannot delete a domain that is enabled, please disable "
                                         "it first.")
    disabled = admin.patch(f"/v3/domains/{domain['id']}", json={"domain": {"enabled": False}})
    assert disabled.json["domain"]["enabled"] is False
    assert admin.delete(f"/v3/domains/{domain['id']}").status_code == 204
    assert admin.get(f"/v3/projects/{project['id']}").status_code == 404
    assert admin.get(f"/v3/users/{user['id']}").status_code == 404


def test_default_domain_cannot_be_disabled_or_deleted(admin):
    assert admin.patch("/v3/domains/default", json={"domain": {"enabled": False}}
                       ).status_code == 403
    assert admin.delete("/v3/domains/default").status_code == 403
    assert admin.get("/v3/domains/default").json["domain"]["enabled"] is True


# -- catalog --------------------------------------------------------------------------------

def test_regions(admin):
    generated = create(admin, "regions", {"description": "no id given"})
    assert len(generated["id"]) == 32
    child = create(admin, "regions", {"id": "RegionTwo", "parent_region_id": "RegionOne"})
    assert child["parent_region_id"] == "RegionOne"
    assert admin.post("/v3/regions", json={"region": {"id": "RegionTwo"}}).status_code == 409
    assert admin.put("/v3/regions/RegionThree", json={"region": {}}).status_code == 201
    assert admin.post("/v3/regions", json={"region": {"parent_region_id": "nope"}}
                      ).status_code == 404
    looped = admin.patch("/v3/regions/RegionOne",
                         json={"region": {"parent_region_id": "RegionTwo"}})
    assert looped.status_code == 400
    refused = admin.delete("/v3/regions/RegionOne")  # the bootstrap endpoints are in it
    assert refused.status_code == 403 and "associated endpoints" in error(refused)["message"]
    assert admin.delete("/v3/regions/RegionTwo").status_code == 204


def test_services_and_endpoints(admin, keystone):
    service = create(admin, "services", {"type": "image", "name": "glance",
                                         "description": None, "enabled": True})
    assert service["enabled"] is True and service["name"] == "glance"
    endpoint = create(admin, "endpoints", {"service_id": service["id"], "interface": "public",
                                           "url": "http://127.0.0.1:9292", "region_id": "RegionOne",
                                           "enabled": True})
    assert endpoint["region"] == endpoint["region_id"] == "RegionOne"
    found = admin.get("/v3/endpoints", params={"service_id": service["id"],
                                               "interface": "public"}).json["endpoints"]
    assert [e["id"] for e in found] == [endpoint["id"]]
    token = keystone.login("admin", project="admin").json["token"]
    assert "image" in {s["type"] for s in token["catalog"]}
    moved = admin.patch(f"/v3/endpoints/{endpoint['id']}",
                        json={"endpoint": {"url": "http://127.0.0.1:9393"}})
    assert moved.json["endpoint"]["url"] == "http://127.0.0.1:9393"
    assert admin.delete(f"/v3/services/{service['id']}").status_code == 204
    assert admin.get(f"/v3/endpoints/{endpoint['id']}").status_code == 404


@pytest.mark.parametrize("fields,status", [
    ({"interface": "private"}, 400), ({"service_id": "nope"}, 400),
    ({"region_id": "nowhere"}, 400), ({"url": "not a url"}, 400)])
def test_bad_endpoints_are_refused(admin, keystone, fields, status):
    service = admin.get("/v3/services?type=identity").json["services"][0]
    body = {"service_id": service["id"], "interface": "public", "url": "http://h:1", **fields}
    result = admin.post("/v3/endpoints", json={"endpoint": body})
    assert result.status_code == status and error(result)["code"] == status


def test_legacy_region_key_creates_the_region(admin):
    service = admin.get("/v3/services?type=identity").json["services"][0]
    create(admin, "endpoints", {"service_id": service["id"], "interface": "internal",
                                "url": "http://h:1", "region": "Elsewhere"})
    assert admin.get("/v3/regions/Elsewhere").status_code == 200


@pytest.mark.parametrize("collection", ["projects", "users", "roles", "domains", "groups",
                                        "regions", "services", "endpoints"])
def test_unknown_ids_are_404_in_keystone_format(admin, collection):
    result = admin.get(f"/v3/{collection}/0123456789abcdef")
    assert result.status_code == 404
    assert error(result)["message"].startswith("Could not find ")
