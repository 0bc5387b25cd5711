"""`make screenshots`: PNGs of the dashboard's main pages for the docs, taken by the same
Playwright and chromium as its browser tests, on a fresh cloud where a learner's first
steps have been done through the dashboard itself.

    python -m minicloud.dashboard.screenshots [DIRECTORY]   (default docs/assets/screenshots)
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from minicloud.bench.harness import BenchCloud
from minicloud.dashboard import browser

PAGES = [  # file name, path, what to wait for
    ("overview", "/project", ".quota"),
    ("instances", "/project/instances", "#instances tr[data-status=ACTIVE]"),
    ("network-topology", "/project/network_topology", "#topology-graph g.device"),
    ("volumes", "/project/volumes", "#volumes"),
    ("containers", "/project/containers/notes", "#objects"),
]


def _log_in(page, url: str, user: str, password: str) -> None:
    page.goto(url + "/auth/login")
    page.screenshot(path=str(OUT / "login.png"))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign In')")
    page.wait_for_url(url + "/project")


def _first_steps(page, url: str) -> None:
    """A server, a volume and an object, made through the dashboard's own forms."""
    page.goto(url + "/project/instances/launch")
    page.screenshot(path=str(OUT / "launch-instance.png"), full_page=True)
    page.fill("#launch-form input[name=name]", "web1")
    tiny = page.locator("#launch-form select[name=flavor] option", has_text="m1.tiny")
    page.select_option("#launch-form select[name=flavor]", value=tiny.get_attribute("value"))
    page.click("#launch-form button[type=submit]")
    page.locator("#instances tr[data-name=web1][data-status=ACTIVE]").wait_for()
    page.screenshot(path=str(OUT / "api-calls.png"), full_page=True)
    page.locator("#api-calls tr.call", has_text="/v2.1/servers").locator("a.flow-link").first.click()
    page.wait_for_url(re.compile(r"/flow/"))
    page.wait_for_timeout(1500)  # the rest of the build reaches the trace
    page.set_viewport_size({"width": 2300, "height": 1600})  # the whole diagram, unscrolled
    page.goto(page.url + "?hide=agent&hide=keystone")
    page.screenshot(path=str(OUT / "request-flow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url + "/project/volumes")
    page.click("#create-volume summary")
    page.fill("#create-volume input[name=name]", "data1")
    page.click("#create-volume button[type=submit]")
    page.goto(url + "/project/containers")
    page.click("#create-container summary")
    page.fill("#create-container input[name=name]", "notes")
    page.click("#create-container button[type=submit]")
    source = Path(tempfile.mkdtemp()) / "hello.txt"
    source.write_text("hello from the dashboard\n")
    page.click("#upload-object summary")
    page.set_input_files("#upload-object input[type=file]", str(source))
    page.click("#upload-object button[type=submit]")
    page.locator("#objects tr[data-name='hello.txt']").wait_for()


def take(cloud: BenchCloud) -> None:
    from playwright.sync_api import sync_playwright

    url = cloud.config.base_url("dashboard")
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(30_000)
        _log_in(page, url, "demo", cloud.config.demo_password)
        _first_steps(page, url)
        for name, path, ready in PAGES:
            page.goto(url + path)
            page.locator(ready).first.wait_for()
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        page.goto(url + "/admin/hypervisors")
        page.screenshot(path=str(OUT / "member-403.png"))
        admin = chromium.new_page(viewport={"width": 1280, "height": 800})
        _log_in(admin, url, "admin", cloud.config.admin_password)
        admin.goto(url + "/admin/hypervisors")
        admin.screenshot(path=str(OUT / "admin-hypervisors.png"), full_page=True)
        chromium.close()


OUT = Path("docs/assets/screenshots")


def main(argv: list[str]) -> int:
    global OUT
    missing = browser.problem()
    if missing:
        print(f"Cannot take screenshots: {missing}", file=sys.stderr)
        return 1
    OUT = Path(argv[0]) if argv else OUT
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="minicloud-screenshots-"))
    cloud = BenchCloud(home, quiet=True)
    try:
        print("*** Starting a fresh cloud")
        cloud.start()
        print(f"*** Driving the dashboard at {cloud.config.base_url('dashboard')}")
        take(cloud)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)
    for png in sorted(OUT.glob("*.png")):
        print(f"    {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
