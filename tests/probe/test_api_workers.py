"""API workers (api_worker.py): in the processes mode Keystone and Swift's proxy also run in
worker processes on the controller's ports (SO_REUSEPORT). Several processes must listen
and answer on one port and agree with each other: a token revoked through one is refused
by all, a container deleted through one is gone for all, a storage node's new port
reaches every proxy's ring; `minicloud down` leaves no worker.

Each request below goes on a connection of its own, so the kernel picks a process for
each; the span of each request (in trace.db, stamped with its process's pid) says which
process served it."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from urllib.parse import unquote, urlsplit

import pytest
import requests

from minicloud import broker
from minicloud.config import Config
from tests.fakes import wait_for
from tests.livecloud import LiveCloud, minicloud
from tests.probe.test_processes import alive, nodes, port_free

WORKERS = {"identity": 2, "object": 2}
ROUNDS = 40  # fresh connections per check: with 3 listeners, each one gets some


@pytest.fixture(scope="module")
def live(tmp_path_factory, rabbitmq_url):
    home = tmp_path_factory.mktemp("api-workers")
    Config(home=home, scrypt_n=2**10, api_workers=WORKERS).save()
    cloud = LiveCloud(home)
    cloud.up("--mode", "processes", "--no-user-config")
    vhost = unquote(urlsplit(cloud.config.transport_url).path.lstrip("/"))
    yield cloud
    cloud.down()
    broker.delete(vhost, vhost)


def login(cloud, user: str = "admin") -> str:
    password = cloud.config.admin_password if user == "admin" else cloud.config.demo_password
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": user, "domain": {"id": "default"}}}}}
    response = requests.post(cloud.config.auth_url + "/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def fresh(method: str, url: str, **kwargs) -> requests.Response:
    """One request on a new connection (requests.request opens and closes its own)."""
    return requests.request(method, url, timeout=30, **kwargs)


def listeners(port: int) -> set[int]:
    """The pids with a socket listening on 127.0.0.1:port (/proc, as `ss -ltnp` reads)."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    return {int(pid) for pid in filter(str.isdigit, os.listdir("/proc"))
            if open_files(pid) & inodes}


def open_files(pid: str) -> set[str]:
    """What the process's file descriptors point at (`socket:[inode]` for a socket)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # gone, or not ours to read
        return set()
    found = set()
    for fd in fds:
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:  # closed meanwhile
            continue
    return found


def served_by(cloud, responses: list[requests.Response]) -> dict[str, int]:
    """request id -> the pid of the process whose span recorded it, once every span has
    reached trace.db (a worker's spans travel over the bus, in batches)."""
    wanted = {r.headers["X-Openstack-Request-Id"] for r in responses}

    def found():
        with sqlite3.connect(f"file:{cloud.home / 'trace.db'}?mode=ro", uri=True) as db:
            rows = db.execute(f"SELECT request_id, attrs FROM spans WHERE parent_id IS NULL "
                              f"AND request_id IN ({','.join('?' * len(wanted))})",
                              tuple(wanted)).fetchall()
        pids = {rid: json.loads(attrs or "{}").get("pid") for rid, attrs in rows}
        return pids if set(pids) == wanted else None

    pids = wait_for(found, timeout=15)
    assert pids, "the spans of these requests never reached trace.db"
    return pids


def workers_of(cloud, service: str) -> set[int]:
    """The API workers of `service`: processes on its port but the launcher, each one
    listed among the controller's workers by `minicloud nodes`."""
    controller = nodes(cloud)["controller"]
    found = listeners(cloud.config.port(service)) - {controller["pid"]}
    assert found <= set(controller["workers"]), (found, controller["workers"])
    return found


def test_several_processes_listen_and_answer_on_the_keystone_port(live):
    controller = nodes(live)["controller"]
    workers = workers_of(live, "identity")
    assert len(workers) == WORKERS["identity"] and all(alive(pid) for pid in workers)
    assert len(controller["workers"]) == sum(WORKERS.values())
    assert controller["pid"] in listeners(live.config.port("identity"))
    token = login(live)
    answers = [fresh("GET", live.config.auth_url + "/auth/tokens",
                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
               for _ in range(ROUNDS)]
    assert all(a.status_code == 200 for a in answers)
    assert set(served_by(live, answers).values()) == workers | {controller["pid"]}
    listed = minicloud("nodes", home=live.home).stdout
    assert "API workers, pids: " + " ".join(map(str, controller["workers"])) in listed


def test_a_revoked_token_is_refused_by_every_process_at_once(live):
    admin, demo = login(live), login(live, "demo")
    url = live.config.auth_url + "/auth/tokens"
    assert fresh("GET", url, headers={"X-Auth-Token": admin,
                                      "X-Subject-Token": demo}).status_code == 200
    revoked = fresh("DELETE", url, headers={"X-Auth-Token": admin, "X-Subject-Token": demo})
    assert revoked.status_code == 204
    looked_up = [fresh("GET", url, headers={"X-Auth-Token": admin, "X-Subject-Token": demo})
                 for _ in range(ROUNDS)]
    used = [fresh("GET", live.config.auth_url + "/projects", headers={"X-Auth-Token": demo})
            for _ in range(ROUNDS)]
    assert {a.status_code for a in looked_up} == {404}
    assert {a.status_code for a in used} == {401}
    everyone = workers_of(live, "identity") | {nodes(live)["controller"]["pid"]}
    assert set(served_by(live, looked_up + used).values()) == everyone


def swift_url(cloud, project_id: str, *path: str) -> str:
    return "/".join([cloud.config.base_url("object"), "v1", f"AUTH_{project_id}", *path])


def project_of(cloud, token: str) -> str:
    shown = requests.get(cloud.config.auth_url + "/auth/tokens", timeout=30,
                         headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return shown.json()["token"]["project"]["id"]


def test_objects_put_through_one_proxy_process_are_read_through_every_other(live):
    token = login(live, "demo")
    headers = {"X-Auth-Token": token}
    project = project_of(live, token)
    assert fresh("PUT", swift_url(live, project, "box"), headers=headers).status_code == 201
    puts = [fresh("PUT", swift_url(live, project, "box", f"o{i}"), headers=headers,
                  data=f"object {i}".encode()) for i in range(ROUNDS)]
    assert {p.status_code for p in puts} == {201}
    gets = [fresh("GET", swift_url(live, project, "box", f"o{(i + 7) % ROUNDS}"),
                  headers=headers) for i in range(ROUNDS)]
    assert [g.content for g in gets] == [f"object {(i + 7) % ROUNDS}".encode()
                                         for i in range(ROUNDS)]
    proxies = workers_of(live, "object") | {nodes(live)["controller"]["pid"]}
    assert set(served_by(live, puts + gets).values()) == proxies
    # the CLI, which knows nothing of processes, too
    path = live.home / "hello.txt"
    path.write_text("hello through a proxy worker\n")
    live.cli("object", "create", "box", str(path), "--name", "hello.txt")
    shown = live.cli("object", "save", "box", "hello.txt", "--file", "-").stdout
    assert shown == "hello through a proxy worker\n"


def test_a_container_deleted_through_one_proxy_is_gone_for_every_other(live):
    """Each proxy once knew the container existed (Swift's container cache); none may
    keep believing it after another deleted it."""
    token = login(live, "demo")
    headers = {"X-Auth-Token": token}
    project = project_of(live, token)
    assert fresh("PUT", swift_url(live, project, "gone"), headers=headers).status_code == 201
    names = [f"o{i}" for i in range(ROUNDS)]
    for name in names:
        put = fresh("PUT", swift_url(live, project, "gone", name), headers=headers, data=b"x")
        assert put.status_code == 201
    for name in names:
        assert fresh("DELETE", swift_url(live, project, "gone", name),
                     headers=headers).status_code == 204
    assert fresh("DELETE", swift_url(live, project, "gone"), headers=headers).status_code == 204
    late = [fresh("PUT", swift_url(live, project, "gone", "late"), headers=headers, data=b"x")
            for _ in range(ROUNDS)]
    assert {p.status_code for p in late} == {404}


def test_a_storage_node_that_moves_is_found_by_every_proxy(live):
    """storage1 comes back on another port (its own is taken): the controller's ring
    keeper rewrites ring.json, and every proxy process sends storage1 its replicas."""
    admin = {"X-Auth-Token": login(live)}
    admin_url = live.config.base_url("object") + "/minicloud/storage/storage1"
    port = live.config.storage_port(0)
    assert fresh("POST", admin_url + "/stop", headers=admin).status_code == 200
    squatter = socket.socket()  # another program takes the port (past its TIME_WAITs)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    try:
        started = fresh("POST", admin_url + "/start", headers=admin)
        assert started.status_code == 200 and started.json()["port"] != port, started.text
        ring = json.loads((live.home / "ring.json").read_text())
        assert next(d["port"] for d in ring["devices"] if d["node"] == "storage1") \
            == started.json()["port"]
        token = login(live, "demo")
        headers = {"X-Auth-Token": token}
        project = project_of(live, token)
        assert fresh("PUT", swift_url(live, project, "moved"), headers=headers).status_code \
            in (201, 202)

        def storage1_files() -> int:
            return sum(1 for _ in (live.home / "storage" / "storage1").rglob("*.data"))

        time.sleep(1.5)  # every proxy reads a changed ring.json within RingFile.check_every
        before = storage1_files()
        puts = [fresh("PUT", swift_url(live, project, "moved", f"m{i}"), headers=headers,
                      data=b"moved") for i in range(ROUNDS)]
        assert {p.status_code for p in puts} == {201}
        # 3 replicas on 3 nodes: each object has one on storage1, whichever proxy sent it
        assert storage1_files() - before == ROUNDS
    finally:
        squatter.close()


def test_down_leaves_no_worker(live):
    workers = workers_of(live, "identity") | workers_of(live, "object")
    ports = [live.config.port("identity"), live.config.port("object")]
    assert minicloud("down", home=live.home).returncode == 0
    assert wait_for(lambda: not any(alive(pid) for pid in workers), timeout=20)
    assert all(port_free(port) for port in ports)
    assert not any(listeners(port) for port in ports)


def test_only_services_that_keep_nothing_in_memory_may_have_workers():
    """Nova's API, say, keeps state of its own (one create at a time per process): a
    worker of it is refused before the cloud starts, with what to change."""
    from minicloud import api_worker

    assert api_worker.builder("identity") and api_worker.builder("object")
    with pytest.raises(ValueError, match="compute API cannot run in worker processes"):
        api_worker.builder("compute")
    assert Config(mode="in-process").api_workers_of("identity") == 0
    assert Config(mode="processes", api_workers={"identity": 3}).api_workers_of("identity") == 3
