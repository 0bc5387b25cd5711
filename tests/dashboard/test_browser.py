"""The dashboard in a real browser: Playwright drives Debian's chromium against a cloud
started with the real `minicloud up` (one for the module). They skip when chromium or
playwright is missing, unless MINICLOUD_REQUIRE_CHROMIUM=1 (CI) makes them fail."""

from __future__ import annotations

import json
import os
import re

import pytest

from minicloud.dashboard import browser
from tests.livecloud import LiveCloud

WAIT = 30_000  # ms: how long a page may take to show a state the cloud reaches by itself


@pytest.fixture(scope="module")
def chromium():
    missing = browser.problem()
    if missing:
        if os.environ.get("MINICLOUD_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"the browser tests need chromium and playwright: {missing}",
                        pytrace=False)
        pytest.skip(f"the browser tests need chromium and playwright: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        running = browser.launch(playwright)
        yield running
        running.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    home = tmp_path_factory.mktemp("dash-browser")
    # each fake-driver step takes a moment, so the Instances page has a build to follow
    (home / "minicloud.json").write_text(json.dumps({"fake_driver_delay": 1.0}))
    cloud = LiveCloud(home)
    cloud.up()
    yield cloud
    cloud.down()


@pytest.fixture(scope="module")
def url(live):
    return live.config.base_url("dashboard")


def _page(chromium, url, user):
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.dialogs = dialogs
    page.goto(url + "/auth/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "secret")
    page.click("button:has-text('Sign In')")
    page.wait_for_url(url + "/project")
    return page


@pytest.fixture(scope="module")
def demo(chromium, url):
    page = _page(chromium, url, "demo")
    yield page
    page.context.close()


def _choose(page, select: str, text: str) -> None:
    """Select the option of `select` whose label contains `text`."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value=value)


def _launch(page, url, name):
    page.goto(url + "/project/instances")
    page.click("#launch-instance")
    page.fill("#launch-form input[name=name]", name)
    _choose(page, "#launch-form select[name=flavor]", "m1.tiny")
    page.click("#launch-form button[type=submit]")
    page.wait_for_url(url + "/project/instances")


def _row(page, name):
    return page.locator("#instances tr", has=page.locator("td.name", has_text=name))


def test_log_in_and_see_the_overview(demo):
    assert demo.locator("h1").inner_text() == "Overview"
    assert demo.locator(".quota[data-quota=Instances] progress").count() == 1
    assert demo.locator("nav.sidebar").get_by_text("Hypervisors").count() == 0


def test_launch_an_instance_see_it_active_and_its_request_flow(demo, url):
    _launch(demo, url, "vm1")
    assert demo.locator("#instances tr[data-name=vm1]").get_attribute("data-status") == "BUILD"
    # the table refreshes itself (dashboard.js), not the page, until the instance is ACTIVE
    demo.locator("#instances tr[data-name=vm1][data-status=ACTIVE]").wait_for()
    post = demo.locator("#api-calls tr.call", has=demo.locator("td.method", has_text="POST"))
    post = post.filter(has=demo.locator("td.url", has_text=re.compile(r"/v2\.1/servers$")))
    assert post.locator("td.code").inner_text() == "202"
    post.locator("a.flow-link").click()
    demo.wait_for_url(re.compile(r"/flow/req-"))
    names = demo.locator("#sequence g.participant").evaluate_all(
        "els => els.map(e => e.dataset.name)")
    order = [next(i for i, n in enumerate(names) if n.split("@")[0] == part)
             for part in ("nova-api", "nova-conductor", "nova-scheduler", "nova-compute")]
    assert order == sorted(order), names  # who talks first comes first
    assert demo.locator("#sequence g.message.sync").count() > 5


def test_network_router_interface_and_gateway_on_the_topology(demo, url):
    demo.goto(url + "/project/networks")
    demo.click("#create-network summary")
    demo.fill("#create-network input[name=name]", "net-b")
    demo.fill("#create-network input[name=cidr]", "172.16.20.0/24")
    demo.click("#create-network button[type=submit]")
    demo.locator("#networks tr[data-name=net-b]").wait_for()
    demo.goto(url + "/project/routers")
    demo.click("#create-router summary")
    demo.fill("#create-router input[name=name]", "router-b")
    demo.select_option("#create-router select[name=external_network]", label="public")
    demo.click("#create-router button[type=submit]")
    demo.click("#routers a:text-is('router-b')")
    demo.click("#add-interface summary")
    _choose(demo, "#add-interface select[name=subnet_id]", "net-b-subnet")
    demo.click("#add-interface button[type=submit]")
    demo.locator("#interfaces td", has_text="172.16.20.1").wait_for()
    demo.goto(url + "/project/network_topology")
    graph = demo.locator("#topology-graph")
    assert graph.locator("g.device.router[data-name=router-b]").count() == 1
    assert graph.locator('g.link[data-from="router:router-b"][data-to="network:net-b"]').count() == 1
    assert graph.locator('g.link[data-from="router:router-b"][data-to="network:public"]').count() == 1


def test_upload_an_object_and_download_it(demo, url, tmp_path):
    demo.goto(url + "/project/containers")
    demo.click("#create-container summary")
    demo.fill("#create-container input[name=name]", "box")
    demo.click("#create-container button[type=submit]")
    demo.wait_for_url(url + "/project/containers/box")
    source = tmp_path / "notes.txt"
    source.write_text("dashboard and CLI: the same REST API\n")
    demo.click("#upload-object summary")
    demo.set_input_files("#upload-object input[type=file]", str(source))
    demo.click("#upload-object button[type=submit]")
    demo.locator("#objects tr[data-name='notes.txt']").wait_for()
    with demo.expect_download() as got:
        demo.click("#objects tr[data-name='notes.txt'] a.download")
    saved = tmp_path / "downloaded.txt"
    got.value.save_as(saved)
    assert saved.read_text() == source.read_text()


def test_attach_a_volume(demo, url):
    _launch(demo, url, "vm-disk")
    demo.locator("#instances tr[data-name=vm-disk][data-status=ACTIVE]").wait_for()
    demo.goto(url + "/project/volumes")
    demo.click("#create-volume summary")
    demo.fill("#create-volume input[name=name]", "vol-b")
    demo.click("#create-volume button[type=submit]")
    row = demo.locator("#volumes tr[data-name=vol-b]")
    for _ in range(60):  # creating -> available: reload as a user would
        if row.get_attribute("data-status") == "available":
            break
        demo.wait_for_timeout(500)
        demo.reload()
    row.locator("select[name=server_id]").select_option(label="vm-disk")
    row.locator("button[data-action=attach]").click()
    for _ in range(60):
        if demo.locator("#volumes tr[data-name=vol-b]").get_attribute("data-status") == "in-use":
            break
        demo.wait_for_timeout(500)
        demo.reload()
    assert "vm-disk" in demo.locator("#volumes tr[data-name=vol-b] td.attached").inner_text()


def test_a_member_gets_403_on_an_admin_page(demo, url):
    response = demo.goto(url + "/admin/hypervisors")
    assert response.status == 403
    assert demo.locator("table#hypervisors").count() == 0
    assert "admin role" in demo.locator(".alert-error").inner_text()


def test_a_server_named_like_a_script_is_text(demo, url):
    _launch(demo, url, "<script>alert(1)</script>")
    cell = demo.locator("#instances td.name", has_text="<script>alert(1)</script>")
    assert cell.count() == 1
    assert demo.dialogs == []  # nothing ran


def test_a_form_posted_without_its_csrf_token_is_refused(demo, url):
    demo.goto(url + "/project/key_pairs")
    demo.click("#import-key summary")
    demo.fill("#import-key input[name=name]", "no-csrf")
    demo.fill("#import-key textarea[name=public_key]", "ssh-ed25519 AAAA x")
    demo.locator("#import-key input[name=csrf_token]").evaluate("e => e.remove()")
    with demo.expect_navigation() as nav:
        demo.click("#import-key button[type=submit]")
    assert nav.value.status == 403
    assert "CSRF" in demo.locator(".alert-error").inner_text()
