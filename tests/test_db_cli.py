"""`minicloud db`: the services' databases read beside a live cloud, never written."""

import hashlib
import json

from tests.livecloud import minicloud


def db(cloud, *args, check=False):
    return minicloud("db", *args, home=cloud.home, check=check)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_names_every_service_database_with_its_tables(cloud):
    found = {d["service"]: d for d in json.loads(db(cloud, "list", "-f", "json").stdout)}
    assert {"identity", "image", "network", "compute", "volume", "object", "trace"} <= set(found)
    assert found["compute"]["file"] == str(cloud.home / "compute.db")
    assert "nova-compute never touches it" in found["compute"]["used_by"]
    assert found["identity"]["tables"]["users"] >= 2  # admin, demo and the service users
    shown = db(cloud, "list").stdout
    assert "compute (nova): " in shown and "instances" in shown


def test_query_shows_the_server_the_cli_booted(cloud):
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "db-vm")
    sql = f"select id, host, vm_state, task_state from instances where id = '{server['id']}'"
    rows = json.loads(db(cloud, "query", "compute", sql, "-f", "json").stdout)
    host = cloud.cli_json("server", "show", server["id"],
                          cloud="minicloud-admin")["OS-EXT-SRV-ATTR:host"]
    assert host in ("compute1", "compute2")
    assert rows == [{"id": server["id"], "host": host, "vm_state": "active",
                     "task_state": None}]
    table = db(cloud, "query", "nova", sql).stdout  # OpenStack's name works as well
    assert table.splitlines()[0].split() == ["id", "host", "vm_state", "task_state"]
    assert server["id"] in table and "(1 row)" in table
    cloud.cli("server", "delete", "--wait", server["id"])


def test_tables_and_schema(cloud):
    tables = json.loads(db(cloud, "tables", "network", "-f", "json").stdout)
    assert tables["networks"] >= 2 and "ports" in tables  # private and public
    schema = db(cloud, "schema", "network", "ports").stdout
    assert schema.startswith("CREATE TABLE ports") and "mac_address" in schema


def test_a_write_is_refused_and_changes_nothing(cloud):
    path = cloud.home / "compute.db"
    count = json.loads(db(cloud, "query", "compute", "select count(*) as n from flavors",
                          "-f", "json").stdout)[0]["n"]
    before = digest(path)
    for sql in ("delete from flavors", "update flavors set name = 'x'",
                "create table mine (a)", f"attach '{cloud.home / 'other.db'}' as other"):
        refused = db(cloud, "query", "compute", sql)
        assert refused.returncode == 1, sql
        assert "refused: `minicloud db` only reads" in refused.stderr, refused.stderr
    assert not (cloud.home / "other.db").exists()
    assert digest(path) == before
    after = json.loads(db(cloud, "query", "compute", "select count(*) as n from flavors",
                          "-f", "json").stdout)[0]["n"]
    assert after == count


def test_bad_names_and_statements_get_a_clear_error(cloud):
    unknown = db(cloud, "query", "horizon", "select 1")
    assert unknown.returncode == 2
    assert "no database for service 'horizon'" in unknown.stderr
    assert "compute (nova)" in unknown.stderr
    no_table = db(cloud, "schema", "compute", "servers")
    assert no_table.returncode == 2 and "the tables are: " in no_table.stderr
    assert "instances" in no_table.stderr
    two = db(cloud, "query", "compute", "select 1; select 2")
    assert two.returncode == 1 and "one statement at a time" in two.stderr
    typo = db(cloud, "query", "compute", "select * from nowhere")
    assert typo.returncode == 1 and "no such table: nowhere" in typo.stderr


def test_a_cloud_never_started_has_no_database(tmp_path):
    result = minicloud("db", "tables", "compute", home=tmp_path, check=False)
    assert result.returncode == 1 and "has this cloud been started?" in result.stderr
