"""`minicloud bus` on the memory bus of an in-process cloud (tests/probe/test_processes.py
watches RabbitMQ's firehose)."""

import json
import subprocess
import sys

from tests.livecloud import clean_env, minicloud


def watch(cloud, *args) -> subprocess.Popen:
    """`minicloud bus watch` running beside the test, its JSON lines on stdout."""
    return subprocess.Popen([sys.executable, "-m", "minicloud", "--home", str(cloud.home),
                             "bus", "watch", "-f", "json", "--timeout", "60", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env())


def started(watcher: subprocess.Popen) -> None:
    """Returns once the watcher says its tap is in place (on stderr)."""
    said = watcher.stderr.readline()
    assert said.startswith("*** Watching "), said + watcher.stderr.read()


def test_watch_shows_the_conductor_casting_the_build_to_the_chosen_host(cloud):
    watcher = watch(cloud, "--method", "build_and_run_instance", "--count", "1")
    started(watcher)
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "bus-vm")
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    messages = [json.loads(line) for line in out.splitlines()]
    assert len(messages) == 1
    host = cloud.cli_json("server", "show", server["id"],
                          cloud="minicloud-admin")["OS-EXT-SRV-ATTR:host"]
    build = messages[0]
    assert (build["kind"], build["exchange"], build["key"]) == ("cast", "minicloud",
                                                                f"compute.{host}")
    assert build["sender"] == "nova-conductor" and build["request"].startswith("req-")
    assert build["topic"] == "compute" and build["bytes"] > 100
    cloud.cli("server", "delete", "--wait", server["id"])


def test_watch_prints_calls_and_their_replies_in_a_table(cloud):
    watcher = watch(cloud, "--topic", "scheduler", "--count", "2")
    started(watcher)
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "bus-vm2")
    out, _ = watcher.communicate(timeout=60)
    kinds = [(m["kind"], m["method"], m["sender"]) for m in map(json.loads, out.splitlines())]
    assert kinds == [("call", "select_destinations", "nova-conductor"),
                     ("reply", "select_destinations", "nova-scheduler")]
    # --all: what the cloud kept (its last 2000 messages) holds that call too
    table = minicloud("bus", "watch", "--all", "--topic", "scheduler", "--count", "4",
                      "--timeout", "5", home=cloud.home).stdout.splitlines()
    assert table[0].split()[:4] == ["TIME", "KIND", "EXCHANGE:ROUTING", "KEY"]
    assert any(" call " in row and "minicloud:scheduler" in row and "select_destinations" in row
               for row in table[1:])
    assert all(len(row) <= 120 for row in table)
    cloud.cli("server", "delete", "--wait", server["id"])


def test_queues_lists_each_hosts_queue_and_its_consumer(cloud):
    rows = {r["name"]: r for r in json.loads(minicloud("bus", "queues", "-f", "json",
                                                       home=cloud.home).stdout)}
    for name in ("compute", "compute.compute1", "compute.compute2", "conductor", "scheduler"):
        assert rows[name]["consumers"] >= 1, name
        assert rows[name]["messages"] == 0
    assert "compute_fanout_compute1" in rows
    shown = minicloud("bus", "queues", home=cloud.home).stdout
    assert shown.splitlines()[0].split() == ["QUEUE", "CONSUMERS", "MESSAGES"]


def test_bus_without_a_running_cloud_says_so(tmp_path):
    result = minicloud("bus", "queues", home=tmp_path, check=False)
    assert result.returncode == 1 and "no cloud is running" in result.stderr
