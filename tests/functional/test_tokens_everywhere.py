"""Tokens as every service sees them: only the exact text Keystone issued is accepted, and
a revoked token stops working everywhere within the services' token cache time.

The token comes from the real CLI (`openstack token issue`, revoked with `openstack token
revoke`); each service is then called over raw HTTP at its catalog URL, because no client
lets a test send a deliberately damaged token.
"""

import time

import pytest
import requests

# One GET per service that needs a token, relative to the service's public catalog URL.
PROBES = {"identity": "/auth/projects", "image": "/v2/images", "compute": "/flavors",
          "network": "/v2.0/networks", "block-storage": "/volumes", "object-store": ""}
CACHE_SECONDS = 5.0  # Config.token_cache_seconds: how long a service trusts a validation


@pytest.fixture(scope="module")
def probes(cloud) -> dict[str, str]:
    """Service type -> a URL to GET with a token, from the catalog the CLI shows."""
    urls = {}
    for service in cloud.cli_json("catalog", "list"):
        public = [e["url"] for e in service["Endpoints"] if e["interface"] == "public"]
        if service["Type"] in PROBES:
            urls[service["Type"]] = public[0].rstrip("/") + PROBES[service["Type"]]
    assert set(urls) == set(PROBES)
    return urls


def status(url: str, token: str) -> int:
    return requests.get(url, headers={"X-Auth-Token": token}, timeout=30).status_code


def damaged(token: str) -> dict[str, str]:
    middle = len(token) // 2
    changed = "A" if token[middle] != "A" else "B"
    return {"one more character": token + "x", "last character cut": token[:-1],
            "middle character changed": token[:middle] + changed + token[middle + 1:],
            "extra padding": token + "=", "text after padding": token + "==x"}


def test_only_the_exact_token_is_accepted_by_every_service(cloud, probes):
    token = cloud.cli_json("token", "issue")["id"]
    for service, url in probes.items():
        # the good token first, so a service's validation cache holds it while the bad
        # variants arrive
        assert status(url, token) < 300, service
        for what, variant in damaged(token).items():
            assert status(url, variant) == 401, f"{service} accepted a token with {what}"
        assert status(url, token) < 300, service


def test_a_revoked_token_is_refused_by_every_service_within_the_cache_time(cloud, probes):
    token = cloud.cli_json("token", "issue")["id"]
    for service, url in probes.items():
        assert status(url, token) < 300, service  # now cached by every service
    cloud.cli("token", "revoke", token)
    revoked_at = time.monotonic()
    pending = dict(probes)
    while pending and time.monotonic() - revoked_at < CACHE_SECONDS + 1.0:
        pending = {s: u for s, u in pending.items() if status(u, token) != 401}
        if pending:
            time.sleep(0.2)
    assert not pending, f"still accepted {CACHE_SECONDS + 1.0}s after revocation: {sorted(pending)}"
