"""Lab 01 checkpoints: project lab, users alice and bob, their roles, and their logins.

Run with `make lab-check LAB=01`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import openstack.exceptions

ADMIN = "openstack --os-cloud minicloud-admin"
DEFAULT = "default"  # the id of domain Default


def _find(find, name):
    """The resource called `name` in domain Default, or None."""
    try:
        return find(name, ignore_missing=False, domain_id=DEFAULT)
    except openstack.exceptions.NotFoundException:
        return None


def _project(admin, name):
    return _find(admin.identity.find_project, name)


def _user(admin, name):
    return _find(admin.identity.find_user, name)


def _roles_on(admin, user, project) -> set[str]:
    """The names of the roles given to `user` directly on `project`."""
    if user is None or project is None:
        return set()
    names = {role.id: role.name for role in admin.identity.roles()}
    return {names.get(a.role["id"], a.role["id"])
            for a in admin.identity.role_assignments(user_id=user.id, scope_project_id=project.id)}


def _login_hint(admin, user_name, password, role, error) -> str:
    """Why Keystone refused `user_name`'s login to project lab, and what fixes it."""
    user, lab = _user(admin, user_name), _project(admin, "lab")
    if lab is None or user is None:
        return f"{user_name} can log in once project lab and user {user_name} exist (the checkpoints above)."
    if not user.is_enabled:
        return f"User {user_name} is disabled. Enable it:\n  {ADMIN} user set --enable {user_name}"
    if not lab.is_enabled:
        return f"Project lab is disabled. Enable it:\n  {ADMIN} project set --enable lab"
    if not _roles_on(admin, user, lab):
        return (f"{user_name} has no role on project lab, and Keystone scopes a token only to a\n"
                f"project where the user has a role (else: HTTP 401). Give {user_name} the role:\n"
                f"  {ADMIN} role add --project lab --user {user_name} {role}")
    if "401" not in str(error):
        return f"Logging in as {user_name} failed: {error}"
    return (f"Keystone refused {user_name}'s password (HTTP 401). Set it to {password}:\n"
            f"  {ADMIN} user set --password {password} {user_name}")


def _check_login(admin, login, user_name, password, role):
    try:
        conn = login(user_name, password, "lab")
    except openstack.exceptions.SDKException as exc:
        raise AssertionError(_login_hint(admin, user_name, password, role, exc)) from None
    lab = _project(admin, "lab")
    assert conn.current_project_id == lab.id, (
        f"{user_name}'s token is scoped to project {conn.current_project_id}, not to lab ({lab.id}).")


def test_project_lab(admin):
    """Project lab exists and is enabled."""
    lab = _project(admin, "lab")
    assert lab is not None, (
        f"There is no project lab in domain Default yet. Create it as the admin:\n"
        f"  {ADMIN} project create lab")
    assert lab.is_enabled, (
        f"Project lab is disabled, so nobody can log in to it. Enable it:\n"
        f"  {ADMIN} project set --enable lab")


def test_user_alice(admin):
    """User alice exists in domain Default."""
    assert _user(admin, "alice") is not None, (
        f"There is no user alice in domain Default yet. Create her with the password s3cret:\n"
        f"  {ADMIN} user create --password s3cret alice")


def test_alice_is_member_of_lab(admin):
    """alice holds the role member on project lab, and no role on project demo."""
    alice, lab, demo = _user(admin, "alice"), _project(admin, "lab"), _project(admin, "demo")
    assert alice and lab, "First create project lab and user alice (the checkpoints above)."
    roles = _roles_on(admin, alice, lab)
    has = f"has {', '.join(sorted(roles))} on project lab, but not member" if roles else \
        "has no role on project lab yet"
    assert "member" in roles, (
        f"alice {has}. Give her member:\n  {ADMIN} role add --project lab --user alice member")
    on_demo = sorted(_roles_on(admin, alice, demo))
    assert not on_demo, (
        f"alice also has {', '.join(on_demo)} on project demo; she should only work in lab.\n"
        + "\n".join(f"  {ADMIN} role remove --project demo --user alice {r}" for r in on_demo))


def test_alice_can_log_in(admin, login):
    """alice can log in to project lab with her password s3cret."""
    _check_login(admin, login, "alice", "s3cret", "member")


def test_bob_is_reader_of_lab(admin):
    """User bob exists and holds exactly the role reader on project lab."""
    bob, lab = _user(admin, "bob"), _project(admin, "lab")
    assert bob is not None, (
        f"There is no user bob in domain Default yet. Create him with the password b0bpass,\n"
        f"then give him reader on lab:\n"
        f"  {ADMIN} user create --password b0bpass bob\n"
        f"  {ADMIN} role add --project lab --user bob reader")
    assert lab, "First create project lab (checkpoint 1)."
    roles = _roles_on(admin, bob, lab)
    assert "reader" in roles, (
        f"bob has no reader role on project lab yet. Give it to him:\n"
        f"  {ADMIN} role add --project lab --user bob reader")
    extra = sorted(roles - {"reader"})
    assert not extra, (
        f"bob should only read in lab, but he also has {', '.join(extra)}. Remove it:\n"
        + "\n".join(f"  {ADMIN} role remove --project lab --user bob {r}" for r in extra))


def test_bob_can_log_in(admin, login):
    """bob can log in to project lab with his password b0bpass."""
    _check_login(admin, login, "bob", "b0bpass", "reader")
