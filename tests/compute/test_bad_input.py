"""What nova-api refuses, as Nova does: bad flavors, key pairs, server creates and updates,
volume attachments and microversion headers each get a 400 (403 for policy, 413 past the
request size limit) in Nova's error format, never a 500; and the create options that now
count (min_count alone, adminPass, accessIPv4/6)."""

from __future__ import annotations

import base64
import struct

import pytest

from tests.compute.fakes import PUBLIC_KEY


def flavor(nova, version="2.54", **fields):
    body = {"name": "f", "ram": 64, "vcpus": 1, "disk": 0, **fields}
    return nova.request("POST", "/flavors", "admin", {"flavor": body}, version=version)


@pytest.mark.parametrize("fields", [
    {"id": "../../x"}, {"id": ""}, {"id": "x" * 10240}, {"id": " lead"},
    {"name": "   "}, {"name": ""}, {"ram": 2 ** 31}, {"ram": 0}, {"vcpus": "two"},
    {"disk": -1}, {"rxtx_factor": -1}, {"rxtx_factor": 0}, {"rxtx_factor": "fast"},
    {"os-flavor-access:is_public": "maybe"}, {"description": "needs 2.55"}])
def test_bad_flavor_is_400(nova, fields):
    r = flavor(nova, **fields)
    assert r.status_code == 400 and "badRequest" in r.json, r.text


def test_good_flavor_edges(nova):
    r = flavor(nova, id="my.flavor-1", ram=2 ** 31 - 1, rxtx_factor="1.5",
               **{"os-flavor-access:is_public": "false"})
    assert r.status_code == 200, r.text
    assert r.json["flavor"]["rxtx_factor"] == 1.5
    assert r.json["flavor"]["os-flavor-access:is_public"] is False


def _rsa_key(bits: int) -> str:
    """An ssh-rsa public key line with a modulus of `bits` bits (never used to log in)."""
    def field(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    modulus = (1 << (bits - 1)) | 1
    blob = field(b"ssh-rsa") + field((65537).to_bytes(3, "big")) + field(
        modulus.to_bytes(bits // 8 + 1, "big"))
    return "ssh-rsa " + base64.b64encode(blob).decode()


@pytest.mark.parametrize("keypair,version,status", [
    ({"public_key": PUBLIC_KEY[:40]}, "2.96", 400),  # truncated
    ({"public_key": "ssh-rsa not-base64!"}, "2.96", 400),
    ({"public_key": _rsa_key(16392)}, "2.96", 400),  # more bits than OpenSSH takes
    ({"public_key": "ssh-rsa " + "A" * (1 << 20)}, "2.96", 413),  # past the body limit
    ({"public_key": PUBLIC_KEY, "type": "x509"}, "2.1", 400),  # `type` needs 2.2
    ({"public_key": PUBLIC_KEY, "type": "x509"}, "2.2", 400),  # not a certificate
    ({"public_key": PUBLIC_KEY, "user_id": "u-demo"}, "2.9", 400),  # `user_id` needs 2.10
    ({"public_key": PUBLIC_KEY, "user_id": "u-other"}, "2.10", 403),  # someone else's
    ({"public_key": PUBLIC_KEY, "name": "a@b"}, "2.91", 400),  # `@` is allowed from 2.92
    ({"public_key": PUBLIC_KEY, "name": " k"}, "2.96", 400),
])
def test_bad_keypair(nova, keypair, version, status):
    body = {"name": "k", **keypair}
    r = nova.request("POST", "/os-keypairs", "demo", {"keypair": body}, version=version)
    assert r.status_code == status, r.text


def _certificate() -> str:
    """A self-signed x509 certificate in PEM (what `type: x509` key pairs hold)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learner")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, None))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_keypair_edges_that_work(nova):
    ok = nova.request("POST", "/os-keypairs", "demo", {"keypair": {
        "name": "a@b.c", "public_key": _rsa_key(4096)}})
    assert ok.status_code == 201, ok.text
    admin = nova.request("POST", "/os-keypairs", "admin", {"keypair": {
        "name": "for-demo", "public_key": PUBLIC_KEY, "user_id": "u-demo"}}, version="2.10")
    assert admin.status_code == 201 and admin.json["keypair"]["user_id"] == "u-demo"
    cert = nova.request("POST", "/os-keypairs", "demo", {"keypair": {
        "name": "cert", "type": "x509", "public_key": _certificate()}}, version="2.2")
    assert cert.status_code == 201 and len(cert.json["keypair"]["fingerprint"]) == 59
    nova.request("PUT", "/os-quota-sets/p-other", "admin", {"quota_set": {"key_pairs": 0}})
    full = nova.request("POST", "/os-keypairs", "other", {"keypair": {
        "name": "k", "public_key": PUBLIC_KEY}})
    assert full.status_code == 403 and "too many key pairs" in full.json["forbidden"]["message"]


def create(nova, token="demo", **server):
    body = {"name": "s", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
            "networks": "none", **server}
    return nova.request("POST", "/servers", token, {"server": body})


@pytest.mark.parametrize("server,message", [
    ({"security_groups": [{"name": "nope"}]}, "Security group nope not found."),
    ({"metadata": {"": "x"}}, "metadata"),
    ({"metadata": {"k" * 256: "x"}}, "metadata"),
    ({"metadata": {"a/b": "x"}}, "metadata"),
    ({"metadata": {"k": "v" * 256}}, "metadata"),
    ({"accessIPv4": "garbage"}, "accessIPv4"),
    ({"accessIPv4": "2001:db8::1"}, "accessIPv4"),
    ({"accessIPv6": "10.0.0.1"}, "accessIPv6"),
    ({"min_count": 0}, "min_count"), ({"min_count": "x"}, "min_count"),
    ({"min_count": 3, "max_count": 2}, "min_count must be <= max_count"),
    ({"name": "  "}, "name"),
    ({"description": "d" * 256}, "description"),
])
def test_bad_server_create_is_400(nova, server, message):
    r = create(nova, **server)
    assert r.status_code == 400 and message in r.json["badRequest"]["message"], r.text


def test_min_count_alone_sets_max_count(nova):
    r = create(nova, min_count=2)
    assert r.status_code == 202, r.text
    names = sorted(s["name"] for s in nova.request("GET", "/servers").json["servers"])
    assert names == ["s-1", "s-2"]


def test_admin_pass_and_access_ips_are_kept(nova):
    nova.networks.groups.append({"name": "web", "project_id": "p-demo"})
    r = create(nova, adminPass="my-Secret", accessIPv4="192.0.2.10",
               accessIPv6="2001:db8::10", security_groups=[{"name": "web"}])
    assert r.status_code == 202 and r.json["server"]["adminPass"] == "my-Secret"
    assert r.json["server"]["security_groups"] == [{"name": "web"}]
    shown = nova.server(r.json["server"]["id"], token="demo")
    assert (shown["accessIPv4"], shown["accessIPv6"]) == ("192.0.2.10", "2001:db8::10")
    generated = create(nova, name="t").json["server"]["adminPass"]
    assert generated and generated != "my-Secret"


def test_update_checks_access_ips_and_fields_by_microversion(nova):
    server = nova.boot()
    path = f"/servers/{server['id']}"
    for body in ({"accessIPv4": "garbage"}, {"accessIPv6": "::zz"}, {"accessIPv4": 4},
                 {"name": ""}, {"hostname": "bad name"}, {"flavor": "2"}):
        r = nova.request("PUT", path, json={"server": body})
        assert r.status_code == 400 and "badRequest" in r.json, (body, r.text)
    assert nova.request("PUT", path, json={"server": {"description": "d"}},
                        version="2.18").status_code == 400  # description needs 2.19
    ok = nova.request("PUT", path, json={"server": {"accessIPv4": "198.51.100.7"}})
    assert ok.status_code == 200 and ok.json["server"]["accessIPv4"] == "198.51.100.7"
    assert nova.server(server["id"])["accessIPv4"] == "198.51.100.7"


def test_metadata_api_checks_keys(nova):
    server = nova.boot()
    path = f"/servers/{server['id']}/metadata"
    assert nova.request("POST", path, json={"metadata": {"": "x"}}).status_code == 400
    assert nova.request("PUT", f"{path}/{'k' * 256}", json={
        "meta": {"k" * 256: "x"}}).status_code == 400


def test_microversion_headers(nova):
    # Nova ignores an `OpenStack-API-Version` entry without a version (it answers 2.1) ...
    r = nova.request("GET", "/flavors", version=None,
                     headers={"OpenStack-API-Version": "compute"})
    assert r.status_code == 200 and r.headers["OpenStack-API-Version"] == "compute 2.1"
    # ... but an empty legacy header is an invalid version string: 400.
    r = nova.request("GET", "/flavors", version=None,
                     headers={"X-OpenStack-Nova-API-Version": ""})
    assert r.status_code == 400 and "invalid format" in r.json["badRequest"]["message"]
    r = nova.request("GET", "/flavors", version=None,
                     headers={"OpenStack-API-Version": "compute 2.x"})
    assert r.status_code == 400


def test_reboot_with_a_string_body_is_400(nova):
    server = nova.boot()
    r = nova.action(server["id"], {"reboot": "HARD"})
    assert r.status_code == 400 and "badRequest" in r.json, r.text
