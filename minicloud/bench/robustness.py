"""`make robustness`: a hostile client against every create and update endpoint of the six
services. Each valid request body below is mutated field by field (wrong types, huge,
negative, path-like and non-Unicode values, missing wrappers, deep nesting ...) and sent as
raw HTTP; every answer is sorted into: accepted (2xx), refused (4xx in the service's own
error format), refused in a wrong format, server error (5xx), hang (no answer in HANG_AFTER
seconds). Afterwards each service must still answer.

A robust cloud shows 0 server errors, 0 hangs, 0 wrong formats and every service up;
"accepted" is for reading (some mutations are valid input, e.g. a 10 KB description):
`python -m minicloud.bench.robustness -v` lists them.
The same run is a test (tests/functional/test_robustness.py).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import requests

from minicloud.bench.harness import BenchCloud

HANG_AFTER = 15.0
BAD_VALUES = [None, "", "x" * 10000, -1, 2**31, 2**64, 1.5, True, [], {}, "../../x",
              "\ud800", "\u0000", "<script>", "not-an-id"]
# Bodies that are no request at all, sent to every endpoint as they are.
BAD_BODIES = [b"", b"null", b"[]", b'"text"', b"{", b"\xff\xfe", b"[" * 5000 + b"]" * 5000]


@dataclasses.dataclass
class Endpoint:
    service: str
    method: str
    path: str
    body: dict
    headers: dict = dataclasses.field(default_factory=dict)


def error_format_ok(service: str, response: requests.Response) -> bool:
    """Is this 4xx in the service's own error format (what its clients parse)?"""
    if service == "swift":
        return True  # Swift answers text/html bodies, as real Swift does
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if service == "keystone":
        return isinstance(body.get("error"), dict) and "message" in body["error"]
    if service == "neutron":
        return isinstance(body.get("NeutronError"), dict)
    if service == "glance":
        return "message" in body or "title" in body
    return len(body) == 1 and isinstance(next(iter(body.values())), dict) and \
        "message" in next(iter(body.values()))  # Nova and Cinder: {kind: {code, message}}


def _mutations(body: dict):
    """(label, body) for each field of the resource, set to each bad value. Most APIs wrap
    the resource ({"server": {...}}); Glance and router interfaces do not."""
    (wrapper, inner), = body.items() if len(body) == 1 else [(None, body)]
    if not isinstance(inner, dict):
        wrapper, inner = None, body

    def wrap(fields):
        return fields if wrapper is None else {wrapper: fields}

    for field in inner:
        for value in BAD_VALUES:
            yield f"{field}={_short(value)}", wrap({**inner, field: value})
    yield "unknown field", wrap({**inner, "no_such_field": 1})
    if wrapper is not None:
        yield "wrapper not an object", {wrapper: "x"}
        yield "wrong wrapper", {"not_" + wrapper: inner}


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 20 else text[:17] + "..."


class Fuzzer:
    def __init__(self, urls: dict, token: str):
        self.urls, self.token = urls, token
        self.http = requests.Session()
        self.results: Counter = Counter()
        self.failures: list[str] = []
        self.accepted: list[str] = []

    def send(self, endpoint: Endpoint, data: bytes, label: str) -> None:
        url = self.urls[endpoint.service] + endpoint.path
        headers = {"X-Auth-Token": self.token, "Content-Type": "application/json",
                   **endpoint.headers}
        key = endpoint.service
        self.results[(key, "sent")] += 1
        try:
            r = self.http.request(endpoint.method, url, data=data, headers=headers,
                                  timeout=HANG_AFTER)
        except requests.Timeout:
            self._fail(key, "hang", endpoint, label, "")
            return
        except requests.ConnectionError as exc:
            self._fail(key, "connection lost", endpoint, label, str(exc))
            return
        if r.status_code >= 500:
            self._fail(key, "5xx", endpoint, label, f"{r.status_code} {r.text[:120]}")
        elif r.status_code >= 400:
            if error_format_ok(endpoint.service, r):
                self.results[(key, "4xx")] += 1
            else:
                self._fail(key, "wrong format", endpoint, label, r.text[:120])
        else:
            self.results[(key, "accepted")] += 1
            self.accepted.append(f"{endpoint.method} {endpoint.path} [{label}]")

    def _fail(self, key, kind, endpoint, label, detail) -> None:
        self.results[(key, kind)] += 1
        self.failures.append(f"{kind}: {endpoint.method} {endpoint.path} [{label}] {detail}")

    def run(self, endpoints: list[Endpoint]) -> None:
        for endpoint in endpoints:
            for label, body in _mutations(endpoint.body):
                self.send(endpoint, json.dumps(body).encode(), label)
            for raw in BAD_BODIES:
                self.send(endpoint, raw, f"body {raw[:10]!r}")

    def services_up(self, probes: dict[str, str]) -> dict[str, bool]:
        up = {}
        for service, path in probes.items():
            try:
                r = self.http.get(self.urls[service] + path, timeout=HANG_AFTER,
                                  headers={"X-Auth-Token": self.token})
                up[service] = r.status_code < 400
            except requests.RequestException:
                up[service] = False
        return up


# -- the endpoints, built around resources made first with valid requests -------------------

def _name() -> str:
    return "fz-" + uuid.uuid4().hex[:8]


def prepare(urls: dict, token: str, project_id: str) -> dict:
    """Make one resource of each kind that updates and actions need; return their ids."""
    s = requests.Session()
    s.headers.update({"X-Auth-Token": token})

    def post(service, path, body):
        r = s.post(urls[service] + path, json=body, timeout=30)
        r.raise_for_status()
        return r.json()

    ids = {"project": post("keystone", "/v3/projects", {"project": {"name": _name()}})
           ["project"]["id"]}
    ids["network"] = post("neutron", "/v2.0/networks", {"network": {"name": _name()}})[
        "network"]["id"]
    ids["subnet"] = post("neutron", "/v2.0/subnets", {"subnet": {
        "network_id": ids["network"], "cidr": "192.168.77.0/24", "ip_version": 4}})[
        "subnet"]["id"]
    ids["port"] = post("neutron", "/v2.0/ports", {"port": {"network_id": ids["network"]}})[
        "port"]["id"]
    ids["router"] = post("neutron", "/v2.0/routers", {"router": {"name": _name()}})[
        "router"]["id"]
    ids["sg"] = post("neutron", "/v2.0/security-groups", {"security_group": {
        "name": _name()}})["security_group"]["id"]
    ids["image"] = post("glance", "/v2/images", {"name": _name(), "disk_format": "raw",
                                                 "container_format": "bare"})["id"]
    ids["volume"] = post("cinder", "/volumes", {"volume": {"size": 1}})["volume"]["id"]
    images = s.get(urls["glance"] + "/v2/images?name=cirros", timeout=30).json()["images"]
    ids["cirros"] = images[0]["id"]
    ids["server"] = post("nova", "/servers", {"server": {
        "name": _name(), "imageRef": ids["cirros"], "flavorRef": "1",
        "networks": [{"uuid": ids["network"]}]}})["server"]["id"]
    s.put(urls["swift"] + "/fuzz", timeout=30).raise_for_status()
    return ids


def endpoints(ids: dict) -> list[Endpoint]:
    e = Endpoint
    return [
        e("keystone", "POST", "/v3/projects", {"project": {"name": _name(), "description": "d",
                                                            "enabled": True}}),
        e("keystone", "PATCH", f"/v3/projects/{ids['project']}", {"project": {"name": _name()}}),
        e("keystone", "POST", "/v3/users", {"user": {"name": _name(), "password": "pw",
                                                      "enabled": True}}),
        e("keystone", "POST", "/v3/roles", {"role": {"name": _name()}}),
        e("keystone", "POST", "/v3/groups", {"group": {"name": _name()}}),
        e("keystone", "POST", "/v3/domains", {"domain": {"name": _name()}}),
        e("keystone", "POST", "/v3/auth/tokens", {"auth": {"identity": {
            "methods": ["password"], "password": {"user": {"name": "admin",
                                                            "domain": {"id": "default"},
                                                            "password": "x"}}}}}),
        e("nova", "POST", "/flavors", {"flavor": {"name": _name(), "ram": 64, "vcpus": 1,
                                                  "disk": 1, "id": uuid.uuid4().hex,
                                                  "rxtx_factor": 1.0}}),
        e("nova", "POST", "/os-keypairs", {"keypair": {"name": _name()}}),
        e("nova", "POST", "/servers", {"server": {"name": _name(), "imageRef": ids["cirros"],
                                                  "flavorRef": "1",
                                                  "networks": [{"uuid": ids["network"]}],
                                                  "min_count": 1, "metadata": {"k": "v"}}}),
        e("nova", "PUT", f"/servers/{ids['server']}", {"server": {"name": _name(),
                                                                  "accessIPv4": "1.2.3.4"}}),
        e("nova", "POST", f"/servers/{ids['server']}/action", {"reboot": {"type": "SOFT"}}),
        e("nova", "POST", f"/servers/{ids['server']}/metadata", {"metadata": {"k": "v"}}),
        e("nova", "POST", f"/servers/{ids['server']}/os-volume_attachments",
          {"volumeAttachment": {"volumeId": ids["volume"]}}),
        e("neutron", "POST", "/v2.0/networks", {"network": {"name": _name(), "mtu": 1450,
                                                            "admin_state_up": True}}),
        e("neutron", "PUT", f"/v2.0/networks/{ids['network']}", {"network": {"name": _name()}}),
        e("neutron", "POST", "/v2.0/subnets", {"subnet": {
            "network_id": ids["network"], "cidr": "192.168.78.0/24", "ip_version": 4,
            "gateway_ip": "192.168.78.1", "dns_nameservers": ["8.8.8.8"]}}),
        e("neutron", "PUT", f"/v2.0/subnets/{ids['subnet']}", {"subnet": {"name": _name()}}),
        e("neutron", "POST", "/v2.0/ports", {"port": {"network_id": ids["network"],
                                                      "mac_address": "fa:16:3e:00:00:01",
                                                      "name": _name()}}),
        e("neutron", "PUT", f"/v2.0/ports/{ids['port']}", {"port": {"name": _name(),
                                                                    "allowed_address_pairs":
                                                                    []}}),
        e("neutron", "POST", "/v2.0/routers", {"router": {"name": _name(),
                                                          "admin_state_up": True}}),
        e("neutron", "PUT", f"/v2.0/routers/{ids['router']}/add_router_interface",
          {"subnet_id": ids["subnet"]}),
        e("neutron", "POST", "/v2.0/security-groups", {"security_group": {"name": _name()}}),
        e("neutron", "POST", "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": ids["sg"], "direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22, "ethertype": "IPv4"}}),
        e("neutron", "POST", "/v2.0/floatingips", {"floatingip": {
            "floating_network_id": ids["network"]}}),
        e("glance", "POST", "/v2/images", {"name": _name(), "disk_format": "raw",
                                           "container_format": "bare",
                                           "visibility": "private", "min_disk": 0}),
        e("cinder", "POST", "/volumes", {"volume": {"size": 1, "name": _name()}}),
        e("cinder", "PUT", f"/volumes/{ids['volume']}", {"volume": {"name": _name()}}),
        e("cinder", "POST", f"/volumes/{ids['volume']}/action",
          {"os-set_bootable": {"bootable": True}}),
        e("cinder", "POST", "/snapshots", {"snapshot": {"volume_id": ids["volume"],
                                                        "name": _name()}}),
        e("cinder", "POST", "/types", {"volume_type": {"name": _name()}}),
    ]


SWIFT_HEADERS = [{"Content-Type": "a" * 10240}, {"X-Delete-At": "soon"},
                 {"X-Delete-After": "-5"}, {"X-Object-Meta-" + "k" * 200: "v"},
                 {"X-Object-Meta-K": "v" * 10000}, {"If-None-Match": "etag"},
                 {"X-Copy-From": "nocontainer"}, {"X-Copy-From": "/fuzz/missing"},
                 {"Content-Length": "-1"}, {"ETag": "zz"}]
SWIFT_PATHS = ["/fuzz/obj", "/fuzz/" + "o" * 2000, "/" + "c" * 300, "/fuzz%ff/obj",
               "/fuzz/%00"]


def run_swift(fuzzer: Fuzzer) -> None:
    for path in SWIFT_PATHS:
        for headers in [{}] + SWIFT_HEADERS:
            for method in ("PUT", "POST"):
                fuzzer.send(Endpoint("swift", method, path, {}, headers), b"data",
                            f"{list(headers)[:1]}")


PROBES = {"keystone": "/v3/projects", "nova": "/servers", "neutron": "/v2.0/networks",
          "glance": "/v2/images", "cinder": "/volumes", "swift": ""}


def fuzz(urls: dict, token: str, project_id: str) -> Fuzzer:
    fuzzer = Fuzzer(urls, token)
    targets = endpoints(prepare(urls, token, project_id))
    fuzzer.run(targets)
    run_swift(fuzzer)
    fuzzer.up = fuzzer.services_up(PROBES)
    return fuzzer


def report(fuzzer: Fuzzer, say=print, verbose: bool = False) -> int:
    kinds = ("sent", "accepted", "4xx", "wrong format", "5xx", "hang", "connection lost")
    say(f"{'service':<10}" + "".join(f"{k:>16}" for k in kinds) + f"{'up after':>10}")
    for service in PROBES:
        say(f"{service:<10}" + "".join(f"{fuzzer.results[(service, k)]:>16}" for k in kinds)
            + f"{'yes' if fuzzer.up[service] else 'NO':>10}")
    for line in fuzzer.failures[:40]:
        say("  " + line)
    if verbose:
        say("accepted (valid input, or bad input a real service would refuse):")
        for line in fuzzer.accepted:
            say("  " + line)
    bad = len(fuzzer.failures) + sum(not up for up in fuzzer.up.values())
    say(f"robustness: {sum(fuzzer.results[(s, 'sent')] for s in PROBES)} requests, "
        f"{bad} problem(s)")
    return 0 if bad == 0 else 1


def catalog_urls(token_body: dict) -> dict:
    names = {"identity": "keystone", "compute": "nova", "network": "neutron",
             "image": "glance", "block-storage": "cinder", "object-store": "swift"}
    urls = {}
    for entry in token_body["token"]["catalog"]:
        if entry["type"] in names:
            url = next(x["url"] for x in entry["endpoints"] if x["interface"] == "public")
            urls[names[entry["type"]]] = url.rstrip("/")
    urls["keystone"] = urls["keystone"].removesuffix("/v3")
    return urls


def admin_login(auth_url: str, password: str) -> tuple[str, dict, str]:
    r = requests.post(auth_url + "/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    r.raise_for_status()
    body = r.json()
    return r.headers["X-Subject-Token"], catalog_urls(body), body["token"]["project"]["id"]


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="minicloud-robustness-"))
    cloud = BenchCloud(home)
    try:
        cloud.start()
        print("== minicloud robustness: malformed requests to every create/update endpoint ==")
        token, urls, project = admin_login(cloud.config.auth_url, cloud.config.admin_password)
        return report(fuzz(urls, token, project), verbose="-v" in sys.argv)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
