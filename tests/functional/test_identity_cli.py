"""The learner's Keystone commands, through the real `openstack` CLI on a live cloud."""

import pytest

ALICE = ["--os-username", "alice", "--os-password", "s3cret", "--os-project-name", "lab"]


def test_token_issue_as_demo(cloud):
    token = cloud.cli_json("token", "issue")
    assert token["id"].startswith("gAAAAA")  # a Fernet token
    demo = cloud.cli_json("project", "show", "demo", cloud="minicloud-admin")
    assert token["project_id"] == demo["id"]
    assert token["expires"]


def test_catalog_list_shows_identity_with_region_and_interfaces(cloud):
    catalog = cloud.cli_json("catalog", "list")
    identity = [s for s in catalog if s["Type"] == "identity"][0]
    assert identity["Name"] == "keystone"
    urls = {e["interface"]: e["url"] for e in identity["Endpoints"]}
    assert urls["public"] == cloud.config.auth_url
    assert {e["region"] for e in identity["Endpoints"]} == {"RegionOne"}


@pytest.fixture(scope="module")
def alice(cloud):
    cloud.cli_json("project", "create", "lab", cloud="minicloud-admin")
    user = cloud.cli_json("user", "create", "--password", "s3cret", "alice",
                          cloud="minicloud-admin")
    cloud.cli("role", "add", "--project", "lab", "--user", "alice", "member",
              cloud="minicloud-admin")
    return user


def test_admin_creates_project_user_and_grants_a_role(cloud, alice):
    assert "password" not in alice
    rows = cloud.cli_json("role", "assignment", "list", "--user", "alice", "--project", "lab",
                          "--names", cloud="minicloud-admin")
    assert [(r["Role"], r["User"], r["Project"]) for r in rows] == [
        ("member", "alice@Default", "lab@Default")]
    token = cloud.cli_json("token", "issue", *ALICE)
    lab = cloud.cli_json("project", "show", "lab", cloud="minicloud-admin")
    assert token["project_id"] == lab["id"] and token["user_id"] == alice["id"]


def test_duplicate_project_is_a_conflict(cloud, alice):
    result = cloud.cli("project", "create", "lab", cloud="minicloud-admin", check=False)
    assert result.returncode != 0
    assert "409" in result.stderr or "onflict" in result.stderr


def test_member_cannot_call_admin_apis(cloud):
    result = cloud.cli("project", "create", "sneaky", check=False)
    assert result.returncode != 0
    assert "not authorized" in result.stderr and "403" in result.stderr
    result = cloud.cli("user", "list", check=False)
    assert result.returncode != 0 and "403" in result.stderr


def test_wrong_password_is_refused(cloud):
    result = cloud.cli("token", "issue", "--os-password", "wrong", check=False)
    assert result.returncode != 0
    assert "requires authentication" in result.stderr and "401" in result.stderr


def test_unknown_names_say_so(cloud):
    result = cloud.cli("project", "show", "no-such-project", cloud="minicloud-admin", check=False)
    assert result.returncode != 0
    assert "No Project found for no-such-project" in result.stderr


def test_admin_lists_identity_resources(cloud, alice):
    admin = "minicloud-admin"
    assert {"admin", "demo", "lab"} <= {p["Name"] for p in cloud.cli_json("project", "list", cloud=admin)}
    assert {"admin", "demo", "alice"} <= {u["Name"] for u in cloud.cli_json("user", "list", cloud=admin)}
    assert {"admin", "member", "reader"} <= {r["Name"] for r in cloud.cli_json("role", "list", cloud=admin)}
    assert "Default" in {d["Name"] for d in cloud.cli_json("domain", "list", cloud=admin)}
    assert "RegionOne" in {r["Region"] for r in cloud.cli_json("region", "list", cloud=admin)}
    assert "identity" in {s["Type"] for s in cloud.cli_json("service", "list", cloud=admin)}
    endpoints = cloud.cli_json("endpoint", "list", cloud=admin)
    assert {e["Interface"] for e in endpoints if e["Service Type"] == "identity"} == {
        "public", "internal", "admin"}


def test_token_revoke(cloud):
    token = cloud.cli_json("token", "issue")["id"]
    conn = cloud.sdk("minicloud-admin")
    headers = {"X-Subject-Token": token}
    assert conn.identity.get("/auth/tokens", headers=headers).status_code == 200
    cloud.cli("token", "revoke", token)
    response = conn.identity.get("/auth/tokens", headers=headers)
    assert response.status_code == 404  # Keystone: an invalid subject token is not found


def test_password_change_revokes_tokens_and_changes_login(cloud):
    admin = "minicloud-admin"
    cloud.cli_json("user", "create", "--password", "first", "--project", "lab", "idt-bob", cloud=admin)
    cloud.cli("role", "add", "--project", "lab", "--user", "idt-bob", "member", cloud=admin)
    bob = ["--os-username", "idt-bob", "--os-project-name", "lab"]
    old_token = cloud.cli_json("token", "issue", *bob, "--os-password", "first")["id"]
    cloud.cli("user", "password", "set", "--original-password", "first", "--password", "second",
              *bob, "--os-password", "first")
    assert cloud.cli("token", "issue", *bob, "--os-password", "first", check=False).returncode != 0
    assert cloud.cli_json("token", "issue", *bob, "--os-password", "second")["id"]
    response = cloud.sdk(admin).identity.get("/auth/tokens", headers={"X-Subject-Token": old_token})
    assert response.status_code == 404


def test_disabled_user_cannot_log_in(cloud):
    admin = "minicloud-admin"
    cloud.cli_json("user", "create", "--password", "pw", "--project", "lab", "idt-carol", cloud=admin)
    cloud.cli("role", "add", "--project", "lab", "--user", "idt-carol", "member", cloud=admin)
    carol = ["--os-username", "idt-carol", "--os-password", "pw", "--os-project-name", "lab"]
    assert cloud.cli_json("token", "issue", *carol)["id"]
    cloud.cli("user", "set", "--disable", "idt-carol", cloud=admin)
    result = cloud.cli("token", "issue", *carol, check=False)
    assert result.returncode != 0 and "401" in result.stderr
    cloud.cli("user", "set", "--enable", "idt-carol", cloud=admin)
    assert cloud.cli_json("token", "issue", *carol)["id"]


def test_role_remove_takes_access_away(cloud):
    admin = "minicloud-admin"
    cloud.cli_json("user", "create", "--password", "pw", "idt-dave", cloud=admin)
    cloud.cli("role", "add", "--project", "lab", "--user", "idt-dave", "reader", cloud=admin)
    dave = ["--os-username", "idt-dave", "--os-password", "pw", "--os-project-name", "lab"]
    assert cloud.cli_json("token", "issue", *dave)["id"]
    cloud.cli("role", "remove", "--project", "lab", "--user", "idt-dave", "reader", cloud=admin)
    assert cloud.cli("token", "issue", *dave, check=False).returncode != 0


def test_implied_roles_are_listed_and_carried_by_tokens(cloud):
    rules = cloud.cli_json("implied", "role", "list", cloud="minicloud-admin")
    pairs = {(r["Prior Role Name"], r["Implied Role Name"]) for r in rules}
    assert {("admin", "member"), ("member", "reader")} <= pairs
    body = cloud.sdk("minicloud").identity.get(
        "/auth/tokens", headers={"X-Subject-Token": cloud.cli_json("token", "issue")["id"]}).json()
    assert {r["name"] for r in body["token"]["roles"]} == {"member", "reader"}


def test_admin_sets_another_users_password_and_their_tokens_die(cloud, alice):
    admin = "minicloud-admin"
    cloud.cli_json("user", "create", "--password", "first", "idt-erin", cloud=admin)
    cloud.cli("role", "add", "--project", "lab", "--user", "idt-erin", "member", cloud=admin)
    erin = ["--os-username", "idt-erin", "--os-project-name", "lab"]
    old_token = cloud.cli_json("token", "issue", *erin, "--os-password", "first")["id"]
    cloud.cli("user", "set", "--password", "second", "idt-erin", cloud=admin)
    assert cloud.cli("token", "issue", *erin, "--os-password", "first", check=False).returncode
    assert cloud.cli_json("token", "issue", *erin, "--os-password", "second")["id"]
    response = cloud.sdk(admin).identity.get("/auth/tokens", headers={"X-Subject-Token": old_token})
    assert response.status_code == 404


def test_user_options_from_the_cli_and_unsupported_immutable(cloud):
    admin = "minicloud-admin"
    user = cloud.cli_json("user", "create", "--password", "pw", "--ignore-lockout-failure-attempts",
                          "idt-opts", cloud=admin)
    assert user["options"] in ({"ignore_lockout_failure_attempts": True},
                               "ignore_lockout_failure_attempts='True'")
    result = cloud.cli("project", "create", "--immutable", "idt-frozen", cloud=admin, check=False)
    assert result.returncode != 0 and "immutable" in result.stderr and "400" in result.stderr
