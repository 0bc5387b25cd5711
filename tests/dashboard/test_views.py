"""The dashboard's pages and actions without a browser: Falcon's test client against the
dashboard app of a real in-process cloud (every page calls the real APIs)."""

from __future__ import annotations

import re

import requests

from minicloud.dashboard.sessions import SessionStore
from tests.fakes import wait_for

PAGES = ["/project", "/project/instances", "/project/instances/launch", "/project/images",
         "/project/key_pairs", "/project/volumes", "/project/network_topology",
         "/project/networks", "/project/routers", "/project/security_groups",
         "/project/floating_ips", "/project/containers"]
ADMIN_PAGES = ["/identity/projects", "/identity/users", "/identity/role_assignments",
               "/admin/hypervisors", "/admin/services", "/admin/instances"]


def calls(page) -> list[tuple[str, str, str]]:
    """(method, URL, status) of each row of the API calls panel."""
    return re.findall(r'<td class="method">(\w+)</td><td class="url">([^<]+)</td>'
                      r'<td class="code">(\d+)</td>', page.text)


def banner(page) -> str:
    found = re.search(r'class="alert alert-error[^"]*"[^>]*>(.*?)</div>', page.text, re.S)
    return found.group(1) if found else ""


def test_a_visitor_is_sent_to_the_login_page(visitor):
    result = visitor.get("/project/instances")
    assert result.status_code == 303
    assert result.headers["location"] == "/auth/login?next=/project/instances"


def test_the_session_cookie_is_opaque_httponly_and_samesite(visitor):
    visitor.get("/auth/login")
    result = visitor.post("/auth/login", {"username": "demo", "password": "secret"})
    cookie = result.cookies["sessionid"]
    assert cookie.http_only and cookie.same_site == "Lax"
    assert "gAAAA" not in cookie.value  # a Fernet token is not what the browser holds
    assert result.headers["location"] == "/project"


def test_login_goes_back_to_local_pages_only(visitor):
    visitor.get("/auth/login")
    result = visitor.post("/auth/login", {"username": "demo", "password": "secret",
                                          "next": "//evil.example/phish"})
    assert result.headers["location"] == "/project"


def test_a_login_form_not_from_the_login_page_is_refused(visitor):
    result = visitor.post("/auth/login", {"username": "demo", "password": "secret"}, csrf=False)
    assert result.status_code == 403 and "sessionid" not in result.cookies


def test_a_wrong_password_is_said_in_a_banner(visitor):
    visitor.get("/auth/login")
    result = visitor.post("/auth/login", {"username": "demo", "password": "nope"})
    assert result.status_code == 200 and "Unable to log in" in banner(result)


def test_a_form_without_its_csrf_token_is_refused(demo):
    result = demo.post("/project/networks", {"name": "sneaky"}, csrf=False)
    assert result.status_code == 403 and "CSRF" in result.text
    result = demo.post("/project/networks", {"name": "sneaky", "csrf_token": "forged"})
    assert result.status_code == 403
    assert "sneaky" not in demo.get("/project/networks").text


def test_every_project_page_renders_with_its_api_calls(demo):
    for path in PAGES:
        page = demo.get(path)
        assert page.status_code == 200, (path, page.text[:3000])
        assert not banner(page), (path, banner(page))
        assert 'id="api-calls"' in page.text
    method, url, status = calls(demo.get("/project/instances"))[0]
    assert (method, status) == ("GET", "200") and url.endswith("/v2.1/servers/detail")


def test_a_member_gets_403_on_identity_and_admin_and_sees_no_such_menu(demo):
    for path in ADMIN_PAGES:
        page = demo.get(path)
        assert page.status_code == 403, path
        assert "<table" not in page.text.split('id="api-calls"')[0]  # no data
    assert "/admin/hypervisors" not in demo.get("/project").text


def test_an_admin_sees_identity_and_admin(admin):
    for path in ADMIN_PAGES:
        page = admin.get(path)
        assert page.status_code == 200 and not banner(page), (path, banner(page))
    assert 'data-name="demo"' in admin.get("/identity/projects").text
    assert "nova-compute" in admin.get("/admin/services").text
    assert 'data-name="compute1"' in admin.get("/admin/hypervisors").text


def _launch(visitor, name: str):
    form = visitor.get("/project/instances/launch").text
    image = re.search(r'<select name="image"[^>]*>\s*<option value="([^"]+)"', form).group(1)
    flavor = re.search(r'<option value="([^"]+)">m1.tiny', form).group(1)
    network = re.search(r'<select name="network"[^>]*>\s*<option value="([^"]+)"', form).group(1)
    result = visitor.post("/project/instances", {"name": name, "image": image, "flavor": flavor,
                                                 "network": network,
                                                 "security_groups": "default"})
    return visitor.follow(result)


def _server_row(page, name):
    return re.search(r'<tr data-id="([^"]+)" data-name="%s" data-status="(\w+)"' % re.escape(name),
                     page.text)


def test_launch_shows_post_servers_202_and_the_request_flow(demo):
    page = _launch(demo, "web1")
    assert "Launch of instance web1 requested" in page.text
    posts = [c for c in calls(page) if c[0] == "POST" and c[1].endswith("/v2.1/servers")]
    assert posts and posts[0][2] == "202"
    assert wait_for(lambda: _server_row(demo.get("/project/instances"), "web1").group(2) == "ACTIVE",
             timeout=30, interval=0.2)
    request_id = re.search(r'/v2.1/servers</td><td class="code">202</td><td class="ms">[^<]*</td>'
                           r'\s*<td><a class="flow-link" href="/flow/([^"]+)"', page.text).group(1)
    flow = demo.get(f"/flow/{request_id}")
    assert flow.status_code == 200
    names = re.findall(r'<g class="participant" data-name="([^"]+)"', flow.text)
    for part in ("client", "nova-api", "nova-conductor", "nova-scheduler", "nova-compute"):
        assert any(n == part or n.startswith(part + "@") for n in names), names


def test_instance_detail_and_power_actions(demo):
    page = _launch(demo, "power1")
    server_id = _server_row(page, "power1").group(1)
    assert wait_for(lambda: _server_row(demo.get("/project/instances"), "power1").group(2) == "ACTIVE",
             timeout=30, interval=0.2)
    detail = demo.get(f"/project/instances/{server_id}")
    assert detail.status_code == 200 and 'id="console-log"' in detail.text
    assert 'id="creation-flow"' in detail.text and ">create<" in detail.text
    demo.follow(demo.post(f"/project/instances/{server_id}", {"action": "stop"}))
    assert wait_for(lambda: _server_row(demo.get("/project/instances"), "power1").group(2) == "SHUTOFF",
             timeout=30, interval=0.2)
    page = demo.follow(demo.post(f"/project/instances/{server_id}", {"action": "delete"}))
    assert any(c[0] == "DELETE" and c[2] == "204" for c in calls(page))


def test_a_name_with_markup_is_shown_as_text(demo):
    page = _launch(demo, "<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in page.text
    assert 'data-name="&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    assert "instance &lt;script&gt;alert(1)&lt;/script&gt; requested" in page.text


def test_an_api_error_is_a_banner_with_the_services_message(demo):
    result = demo.post("/project/networks", {"name": "bad", "cidr": "not-a-cidr"})
    page = demo.follow(result)
    assert "Error:" in banner(page) and "Traceback" not in page.text
    assert "(HTTP 400)" in banner(page)


def test_network_router_interface_and_gateway_on_the_topology(demo):
    demo.follow(demo.post("/project/networks", {"name": "net1", "cidr": "172.16.9.0/24"}))
    routers = demo.get("/project/routers").text
    external = re.search(r'<select name="external_network"[^>]*>\s*<option value="">\(none\)'
                         r'</option><option value="([^"]+)"', routers).group(1)
    demo.follow(demo.post("/project/routers", {"name": "r1", "external_network": external}))
    router_id = re.search(r'<a href="/project/routers/([^"]+)">r1</a>',
                          demo.get("/project/routers").text).group(1)
    detail = demo.get(f"/project/routers/{router_id}").text
    subnet = re.search(r'<option value="([^"]+)">net1-subnet', detail).group(1)
    demo.follow(demo.post(f"/project/routers/{router_id}",
                          {"action": "add_interface", "subnet_id": subnet}))
    graph = demo.get("/project/network_topology", query_string="part=graph").text
    assert graph.startswith('<div id="topology"')
    links = re.findall(r'<g class="link" data-from="([^"]+)" data-to="([^"]+)"', graph)
    assert ("router:r1", "network:net1") in links
    assert any(src == "router:r1" and dst != "network:net1" for src, dst in links)  # gateway


def test_upload_and_download_an_object(demo):
    demo.follow(demo.post("/project/containers", {"name": "docs"}))
    boundary = "xyzzy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{demo.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\n"
            f"upload\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"hello.txt\"\r\nContent-Type: text/plain\r\n\r\nhello swift\r\n"
            f"--{boundary}--\r\n")
    result = demo.client.simulate_post(
        "/project/containers/docs", cookies=demo._cookies(), body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    page = demo.follow(result)
    assert 'data-name="hello.txt"' in page.text
    assert any(c[0] == "PUT" and c[1].endswith("/docs/hello.txt") for c in calls(page))
    download = demo.get("/project/containers/docs/hello.txt")
    assert download.status_code == 200 and download.text == "hello swift"
    assert "attachment" in download.headers["content-disposition"]


def test_create_and_attach_a_volume(demo):
    page = _launch(demo, "vm-vol")
    server_id = _server_row(page, "vm-vol").group(1)
    assert wait_for(lambda: _server_row(demo.get("/project/instances"), "vm-vol").group(2) == "ACTIVE",
             timeout=30, interval=0.2)
    demo.follow(demo.post("/project/volumes", {"name": "data1", "size": "1"}))

    def volume():
        return re.search(r'<tr data-name="data1" data-status="([\w-]+)"><td><a href="'
                         r'/project/volumes/([^"]+)"', demo.get("/project/volumes").text)

    assert wait_for(lambda: volume().group(1) == "available", timeout=30, interval=0.2)
    demo.follow(demo.post(f"/project/volumes/{volume().group(2)}",
                          {"action": "attach", "server_id": server_id}))
    assert wait_for(lambda: volume().group(1) == "in-use", timeout=30, interval=0.2)
    assert "Attached to" in demo.get("/project/volumes").text


def test_logout_ends_the_session(visitor):
    visitor.log_in("demo")
    assert visitor.get("/project").status_code == 200
    result = visitor.post("/auth/logout", {})
    assert result.status_code == 303 and result.headers["location"] == "/auth/login"
    page = visitor.follow(result)
    assert any(c[0] == "DELETE" and c[1].endswith("/v3/auth/tokens") and c[2] == "204"
               for c in calls(page)) or "signed out" in page.text
    assert visitor.get("/project").status_code == 303  # the session is gone


def test_a_session_ends_with_its_token():
    now = [1000.0]
    store = SessionStore(clock=lambda: now[0])
    session = store.log_in(store.new(), "tok", {"token": {"roles": [{"name": "member"}]}},
                           expires=1060.0)
    assert store.get(session.id) is session
    now[0] = 1061.0
    assert store.get(session.id) is None


def test_logout_makes_keystone_refuse_the_token(dash_cloud):
    """Log in through the dashboard's client, log out, and ask Keystone about the token."""
    from minicloud.dashboard import client

    config = dash_cloud.config
    token, body, _ = client.log_in(config.auth_url, "demo", "secret", "demo", "Default")
    client.Api(token, body, config.region).revoke()
    admin = requests.post(config.auth_url + "/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "secret"}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    check = requests.get(config.auth_url + "/auth/tokens", timeout=30, headers={
        "X-Auth-Token": admin.headers["X-Subject-Token"], "X-Subject-Token": token})
    assert check.status_code == 404


def test_an_api_error_on_a_page_is_a_banner_not_a_stack_trace(demo):
    page = demo.get("/project/instances/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404
    assert "(HTTP 404)" in banner(page) and "Traceback" not in page.text


def test_upload_an_image(demo):
    boundary = "imgboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{demo.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
            f"tiny-img\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"disk.img\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            f"{'x' * 1024}\r\n--{boundary}--\r\n")
    page = demo.follow(demo.client.simulate_post(
        "/project/images", cookies=demo._cookies(), body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert 'data-name="tiny-img"' in page.text
    methods = [(c[0], c[2]) for c in calls(page)]
    assert ("POST", "201") in methods and ("PUT", "204") in methods


def test_security_group_rule_and_floating_ip(demo):
    demo.follow(demo.post("/project/security_groups", {"name": "web"}))
    group = re.search(r'<tr data-name="web"><td>web</td><td>([^<]+)</td>',
                      demo.get("/project/security_groups").text).group(1)
    page = demo.follow(demo.post(f"/project/security_groups/{group}", {
        "action": "add_rule", "direction": "ingress", "protocol": "tcp", "port": "80",
        "remote_ip_prefix": "0.0.0.0/0"}))
    assert "Rule added." in page.text and "<td>80</td>" in page.text
    fips = demo.get("/project/floating_ips").text
    pool = re.search(r'<select name="pool"[^>]*>\s*<option value="([^"]+)"', fips).group(1)
    page = demo.follow(demo.post("/project/floating_ips", {"pool": pool}))
    assert re.search(r'<tr data-ip="203\.0\.113\.\d+">', page.text), banner(page)
