"""The `minicloud` command's life cycle: up, a second up, status, env, down, stale PID files,
and the trace commands."""

import json
import socket
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.livecloud import LiveCloud, minicloud


@pytest.fixture
def own_cloud(tmp_path):
    live = LiveCloud(tmp_path / "home")
    yield live
    live.down()


def test_up_narrates_and_prints_how_to_use_it(own_cloud):
    out = own_cloud.up().stdout
    for node in ("controller", "network", "compute1", "compute2", "storage1"):
        assert f"Starting node {node} (" in out, node
    assert "identity" in out and own_cloud.config.auth_url.rsplit("/", 1)[0] in out
    assert "demo" in out and "admin" in out and "OS_CLOUD=minicloud" in out
    assert f"OS_CLIENT_CONFIG_FILE={own_cloud.clouds_yaml}" in out
    assert own_cloud.clouds_yaml.exists()
    assert "OS_AUTH_URL=" in (own_cloud.home / "demo-openrc.sh").read_text()


def test_second_up_says_it_runs_and_down_stops_it(own_cloud):
    own_cloud.up()
    pid = int((own_cloud.home / "minicloud.pid").read_text())
    again = minicloud("up", home=own_cloud.home)
    assert again.returncode == 0 and f"already running (pid {pid}" in again.stdout
    status = minicloud("status", home=own_cloud.home)
    assert status.returncode == 0 and "answers" in status.stdout
    down = own_cloud.down()
    assert f"stopped (pid {pid})" in down.stdout
    assert not (own_cloud.home / "minicloud.pid").exists()
    assert minicloud("status", home=own_cloud.home).returncode == 3
    assert "not running" in own_cloud.down().stdout


def test_stale_pid_file_is_cleaned_up(own_cloud):
    own_cloud.home.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (own_cloud.home / "minicloud.pid").write_text(f"{dead.pid}\n")
    assert minicloud("status", home=own_cloud.home).returncode == 3
    assert not (own_cloud.home / "minicloud.pid").exists()
    (own_cloud.home / "minicloud.pid").write_text(f"{dead.pid}\n")
    own_cloud.up()
    assert int((own_cloud.home / "minicloud.pid").read_text()) != dead.pid
    assert minicloud("status", home=own_cloud.home).returncode == 0


def test_env_prints_the_lines_that_select_the_cloud(tmp_path):
    out = minicloud("env", home=tmp_path).stdout
    assert f"export OS_CLIENT_CONFIG_FILE={tmp_path / 'clouds.yaml'}" in out
    assert "export OS_CLOUD=minicloud\n" in out
    assert "OS_CLOUD=minicloud-admin" in minicloud("env", "--admin", home=tmp_path).stdout


def test_trace_list_and_show_find_a_cli_request(cloud):
    cloud.cli("token", "issue")
    rows = []
    for _ in range(50):  # spans are written by a background thread
        listing = minicloud("trace", "list", "--limit", "500", home=cloud.home).stdout
        rows = [line for line in listing.splitlines() if "POST /v3/auth/tokens" in line]
        if rows:
            break
    assert rows, "the login of the CLI command should be listed"
    request_id = rows[-1].split()[2]
    assert request_id.startswith("req-")
    shown = minicloud("trace", "show", request_id, home=cloud.home)
    assert shown.returncode == 0
    assert "keystone" in shown.stdout and "POST /v3/auth/tokens" in shown.stdout
    assert minicloud("trace", "show", "no-such-trace", home=cloud.home).returncode == 1


def test_down_leaves_no_process_port_socket_or_temporary_file(own_cloud):
    own_cloud.up()
    home = own_cloud.home
    pid = int((home / "minicloud.pid").read_text())
    nodes = json.loads(minicloud("nodes", "-f", "json", home=home).stdout)
    urls = [url for node in nodes for url in node["listens"]]
    # six APIs and the dashboard on the controller, an object server per storage node
    assert len(urls) == 6 + 1 + 3
    assert (home / "control.sock").exists()
    own_cloud.down()
    status = Path(f"/proc/{pid}/status")  # gone, or a zombie its new parent has yet to reap
    assert not status.exists() or "\nState:\tZ" in status.read_text()
    for url in urls:
        where = urllib.parse.urlsplit(url)
        with socket.socket() as probe:
            assert probe.connect_ex((where.hostname, where.port)) != 0, url
    assert not (home / "control.sock").exists() and not (home / "minicloud.pid").exists()
    leftovers = [p for p in home.rglob("*")
                 if p.name.endswith(".tmp") or p.parent.name == "swift-proxy-tmp"]
    assert leftovers == []


def test_fault_and_capture_say_the_data_plane_is_simulated_outside_the_netns_mode(tmp_path):
    from minicloud.config import Config

    Config(home=tmp_path).save()  # an in-process cloud's saved configuration
    for command in (("capture", "compute2", "data"), ("fault", "cut", "compute2", "data"),
                    ("fault", "restore", "compute2", "data"), ("fault", "status")):
        done = minicloud(*command, home=tmp_path)
        assert done.returncode == 2, command
        assert "the data plane is simulated in the in-process mode" in done.stderr
        assert "make lab-up MODE=netns" in done.stderr
    assert "nothing to capture" in minicloud("capture", "compute2", "data",
                                             home=tmp_path).stderr


def test_fault_and_capture_refuse_a_node_or_network_not_in_the_plan(tmp_path):
    from minicloud.config import Config

    Config(home=tmp_path, mode="netns", netns_prefix="mctc").save()
    unknown = minicloud("fault", "cut", "compute9", "data", home=tmp_path)
    assert unknown.returncode == 2 and "no node compute9 in this cloud" in unknown.stderr
    off = minicloud("capture", "storage1", "data", home=tmp_path)
    assert off.returncode == 2 and "storage1 is not on the data network" in off.stderr
    assert "management (mgmt)" in off.stderr
    typo = minicloud("fault", "restore", "network", "extern", home=tmp_path)
    assert typo.returncode == 2 and "not on the extern network" in typo.stderr
