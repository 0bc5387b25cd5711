"""The tutorial site's links: every link a reader can click that leaves the site goes to a
host on the allow-list below (the projects minicloud teaches, and their specifications), and
the build that CI runs fails on a broken link or anchor inside the site.

Internal links and anchors are checked by mkdocs itself (mkdocs.yml `validation:`, every
check a warning, which `--strict` turns into an error); what this file checks is that the
build really is strict: mkdocs counts warnings through its logger, so `--quiet` (which
silences warnings) would let a broken link through.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_HOSTS = {
    "docs.openstack.org",  # OpenStack's own documentation and API references
    "www.rabbitmq.com",
    "github.com",  # specifications kept there (the Fernet token spec)
}
# a Markdown link [text](url) or an autolink <url>: what a reader clicks
LINK = re.compile(r"\]\((https?://[^)\s]+)|<(https?://[^>\s]+)>")


def pages() -> list[Path]:
    """The site's pages, and the lab guides they include."""
    return sorted((ROOT / "docs").rglob("*.md")) + sorted(ROOT.glob("labs/*/README.md"))


def test_external_links_go_only_to_allowed_hosts():
    found = {}
    for page in pages():
        for m in LINK.finditer(page.read_text()):
            url = m.group(1) or m.group(2)
            found.setdefault(url.split("/")[2], []).append(f"{page.relative_to(ROOT)}: {url}")
    assert found, "no external link found: the pattern no longer matches the pages"
    strays = [where for host, links in found.items() if host not in ALLOWED_HOSTS
              for where in links]
    assert not strays, "links to hosts not on the allow-list:\n" + "\n".join(strays)


class _Loader(yaml.SafeLoader):
    pass


for _prefix in ("!", "tag:yaml.org,2002:python/"):  # !relative, !!python/name:...
    _Loader.add_multi_constructor(_prefix, lambda loader, suffix, node: None)


def test_broken_internal_links_and_anchors_fail_the_build():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    checks = config["validation"]
    for check in ("unrecognized_links", "anchors", "omitted_files", "absolute_links"):
        assert checks.get(check) == "warn", check  # strict mode makes each an error
    builds = [line for line in (ROOT / "Makefile").read_text().splitlines()
              if "mkdocs build" in line]
    assert builds and all("--strict" in b and "--quiet" not in b and " -q" not in b
                          for b in builds), builds
