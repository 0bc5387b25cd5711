"""Lab 09 checkpoints: server sql1, and the answers the learner read in the services'
databases with `minicloud db` and wrote on sql1 as properties: db_host and db_vm_state
(compute.db), db_ip and db_subnet (network.db), db_role (identity.db),
db_state_after_stop and db_writer (after `server stop`), db_write_error (a refused write).

Every answer is compared with the databases themselves, opened read-only as `minicloud db`
opens them, and with the API and the trace. Run with `make lab-check LAB=09`. Each test is
one step of the guide; its assertion message is the hint the learner sees, and a hint
never gives the answer away. PYTEST_DONT_REWRITE: show the hints as written.
"""

from contextlib import closing

import openstack.exceptions

from minicloud.cli import db

DEMO = "openstack --os-cloud minicloud"
NAME = "sql1"
BOOT = f"{DEMO} server create --image cirros --flavor m1.tiny --network private --wait {NAME}"
ROW_QUERY = ('minicloud db query compute "select id, name, host, vm_state, task_state '
             f"from instances where name = '{NAME}' and deleted = 0\"")


def _rows(lab_cloud, service: str, sql: str, params=()) -> list[tuple]:
    with closing(db.connect(lab_cloud.home, service)) as conn:
        return conn.execute(sql, params).fetchall()


def _server(demo):
    """sql1 with its properties, or a failed assert telling how to boot it."""
    try:
        found = demo.compute.find_server(NAME, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        found = None
    except openstack.exceptions.DuplicateResource:
        raise AssertionError(f"Project demo has several servers named {NAME}: delete all but "
                             f"one (`{DEMO} server list --name {NAME}`, then `{DEMO} server "
                             "delete ID`)") from None
    assert found is not None, (
        f"There is no server {NAME} in project demo yet. Boot it (Step 1):\n  {BOOT}")
    return demo.compute.get_server(found.id)


def _answer(server, key: str) -> str:
    return str((server.metadata or {}).get(key, "")).strip()


def _record(key: str) -> str:
    return f"  {DEMO} server set --property {key}=VALUE {NAME}"


def _instance(lab_cloud, server) -> dict:
    rows = _rows(lab_cloud, "compute", "SELECT host, vm_state, task_state, launched_at "
                 "FROM instances WHERE id = ? AND deleted = 0", (server.id,))
    assert rows, f"compute.db has no row for {NAME} ({server.id}): is it being deleted?"
    return dict(zip(("host", "vm_state", "task_state", "launched_at"), rows[0]))


def _stop_request(lab_cloud, server) -> str | None:
    """The request id of sql1's last stop, from compute.db's instance_actions."""
    rows = _rows(lab_cloud, "compute", "SELECT request_id FROM instance_actions WHERE "
                 "instance_id = ? AND action = 'stop' ORDER BY start_time DESC LIMIT 1",
                 (server.id,))
    return rows[0][0] if rows else None


def test_db_host_and_db_vm_state_are_read_in_compute_db(demo, lab_cloud):
    """sql1 is booted; db_host and db_vm_state are what compute.db said"""
    server = _server(demo)
    row = _instance(lab_cloud, server)
    assert row["launched_at"] is not None and row["host"], (
        f"{NAME} never became active (vm_state {row['vm_state']}). Delete it and boot it "
        f"again:\n  {DEMO} server delete --wait {NAME}\n  {BOOT}")
    host = _answer(server, "db_host")
    assert host, (f"{NAME} has no property db_host yet. Find its row in compute.db "
                  f"(Step 1):\n  {ROW_QUERY}\nand record the host column:\n"
                  + _record("db_host"))
    assert host == row["host"], (
        f"db_host is '{host}', but {NAME}'s row in compute.db names another host. Run the "
        f"query again and copy the host column (Step 1):\n  {ROW_QUERY}\n" + _record("db_host"))
    state = _answer(server, "db_vm_state")
    assert state, (f"{NAME} has no property db_vm_state yet: record the vm_state column "
                   f"the same query showed right after the boot (Step 1):\n"
                   + _record("db_vm_state"))
    assert not state.isupper(), (
        f"db_vm_state is '{state}': that is the status the API shows, not the vm_state "
        f"column. Read the column in compute.db, spelled as the database spells it:\n"
        f"  {ROW_QUERY}\n" + _record("db_vm_state"))
    assert state == "active", (
        f"db_vm_state is '{state}', which is not what compute.db said right after the boot "
        f"(Step 1). If you have stopped {NAME} already, start it, read the vm_state column "
        f"while it runs, record it and stop it again:\n  {DEMO} server start {NAME}\n"
        f"  {ROW_QUERY}\n" + _record("db_vm_state"))


def test_db_ip_and_db_subnet_are_read_in_network_db(demo, lab_cloud):
    """db_ip and db_subnet are sql1's IP allocation in network.db"""
    server = _server(demo)
    allocations = _rows(lab_cloud, "network", "SELECT a.ip_address, a.subnet_id, "
                        "a.network_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id "
                        "WHERE p.device_id = ?", (server.id,))
    assert allocations, (f"network.db has no port with an address for {NAME}. Delete it and "
                         f"boot it again on network private:\n  {DEMO} server delete --wait "
                         f"{NAME}\n  {BOOT}")
    query = ('minicloud db query network "select a.ip_address, a.subnet_id, p.device_owner '
             'from ip_allocations a join ports p on p.id = a.port_id '
             f"where p.device_id = '{server.id}'\"")
    ip, subnet = _answer(server, "db_ip"), _answer(server, "db_subnet")
    assert ip and subnet, (
        f"{NAME} needs the properties db_ip and db_subnet (it has "
        f"{'db_ip' if ip else 'db_subnet' if subnet else 'neither'}). Find its allocation "
        f"in network.db, through the port whose device_id is {NAME}'s id (Step 2):\n"
        f"  {query}\nand record both:\n  {DEMO} server set --property db_ip=ADDRESS "
        f"--property db_subnet=SUBNET_ID {NAME}")
    assert ip in {a[0] for a in allocations}, (
        f"db_ip is '{ip}', but network.db allocates {NAME} another address. Read the "
        f"ip_address column (Step 2):\n  {query}\n" + _record("db_ip"))
    assert subnet not in {a[2] for a in allocations}, (
        f"db_subnet is the id of {NAME}'s network (the network_id column), not of its "
        f"subnet. Read the subnet_id column (Step 2):\n  {query}\n" + _record("db_subnet"))
    assert (ip, subnet) in {a[:2] for a in allocations}, (
        f"db_subnet is '{subnet}', but network.db allocated {ip} on another subnet. Read "
        f"the subnet_id column of that row (Step 2):\n  {query}\n" + _record("db_subnet"))


ROLE_QUERY = ('minicloud db query identity "select u.name as user, p.name as project, '
              "r.name as role from assignments a join users u on u.id = a.actor_id "
              "join projects p on p.id = a.target_id join roles r on r.id = a.role_id "
              "where u.name = 'demo' and p.name = 'demo'\"")


def test_db_role_is_read_in_identity_db(demo, lab_cloud):
    """db_role is the role user demo is assigned on project demo in identity.db"""
    server = _server(demo)
    assigned = {row[0] for row in _rows(
        lab_cloud, "identity", "SELECT r.name FROM assignments a "
        "JOIN users u ON u.id = a.actor_id JOIN projects p ON p.id = a.target_id "
        "JOIN roles r ON r.id = a.role_id WHERE a.type = 'UserProject' AND a.inherited = 0 "
        "AND u.name = 'demo' AND u.domain_id = 'default' AND p.name = 'demo' "
        "AND p.domain_id = 'default'")}
    recorded = _answer(server, "db_role")
    assert recorded, (f"{NAME} has no property db_role yet. Find demo's assignment on "
                      f"project demo in identity.db (Step 3):\n  {ROLE_QUERY}\nand record "
                      "the role (several rows: all of them, separated by commas):\n"
                      + _record("db_role"))
    names = {part.strip() for part in recorded.split(",") if part.strip()}
    implied = {row[0] for row in _rows(
        lab_cloud, "identity", "SELECT r.name FROM implied_roles i JOIN roles r "
        "ON r.id = i.implied_role_id")}
    extra = sorted((names - assigned) & implied)
    assert not extra, (
        f"db_role names {', '.join(extra)}, which nobody assigned to demo on project demo: "
        "a role that another role implies (the implied_roles table) is in demo's token, "
        f"not in the assignments table. Record only the assignments (Step 3):\n  {ROLE_QUERY}\n"
        + _record("db_role"))
    assert names == assigned, (
        f"db_role is '{recorded}', but identity.db assigns demo other roles on project "
        f"demo. Run the query and record its role column (Step 3):\n  {ROLE_QUERY}\n"
        + _record("db_role"))


def test_db_state_after_stop_is_read_in_compute_db(demo, lab_cloud):
    """sql1 is stopped; db_state_after_stop is its vm_state in compute.db"""
    server = _server(demo)
    assert server.status == "SHUTOFF", (
        f"{NAME} is {server.status}, not stopped. Stop it (Step 4):\n"
        f"  {DEMO} server stop {NAME}")
    row = _instance(lab_cloud, server)
    state = _answer(server, "db_state_after_stop")
    assert state, (f"{NAME} has no property db_state_after_stop yet. Read its vm_state in "
                   f"compute.db now that it is stopped (Step 4):\n  {ROW_QUERY}\n"
                   + _record("db_state_after_stop"))
    assert state.upper() != server.status, (
        f"db_state_after_stop is '{state}': that is the status `openstack server show` "
        f"prints, which nova-api computes from the row. compute.db's vm_state column holds "
        f"another word: read it there (Step 4):\n  {ROW_QUERY}\n"
        + _record("db_state_after_stop"))
    assert state == row["vm_state"], (
        f"db_state_after_stop is '{state}', but compute.db's vm_state column says otherwise "
        f"for the stopped {NAME}. Run the query again (Step 4):\n  {ROW_QUERY}\n"
        + _record("db_state_after_stop"))


def _writers(lab_cloud, request_id: str) -> set[str]:
    """Who wrote the instance's row in the stop's trace: the service whose span is the
    conductor's instance_update (or an UPDATE of vm_state, where statements are spans)."""
    spans = _rows(lab_cloud, "trace", "SELECT service, operation FROM spans WHERE trace_id IN "
                  "(SELECT trace_id FROM spans WHERE request_id = ?)", (request_id,))
    return {service.split("@")[0] for service, operation in spans
            if operation == "instance_update"
            or ("UPDATE instances" in (operation or "") and "vm_state" in operation)}


def test_db_writer_names_who_wrote_the_stopped_row(demo, lab_cloud):
    """db_writer names the service that wrote vm_state after the stop (from the trace)"""
    server = _server(demo)
    request_id = _stop_request(lab_cloud, server)
    assert request_id, (f"{NAME} was never stopped through the API. Stop it (Step 4):\n"
                        f"  {DEMO} server stop {NAME}\n  minicloud trace last")
    trace = f"minicloud trace show {request_id}"
    writers = _writers(lab_cloud, request_id)
    assert writers, (f"The trace of {NAME}'s last stop shows nobody writing its row: was the "
                     f"cloud restarted meanwhile? Start {NAME} and stop it again:\n"
                     f"  {DEMO} server start {NAME}\n  {DEMO} server stop {NAME}")
    writer = _answer(server, "db_writer")
    assert writer, (f"{NAME} has no property db_writer yet. Read the trace of the stop and "
                    f"find the service that recorded the result in compute.db (Step 4):\n"
                    f"  {trace}\n" + _record("db_writer"))
    assert not writer.startswith("nova-compute"), (
        f"db_writer is '{writer}'. nova-compute powered the VM off, but it never opens "
        f"compute.db: in the trace, look at whom it calls to record the result (Step 4):\n"
        f"  {trace}\n" + _record("db_writer"))
    assert writer.split("@")[0] in writers, (
        f"db_writer is '{writer}', but that service did not write vm_state after the "
        f"power-off. nova-api wrote only the request (task_state, the action): follow the "
        f"trace to the end (Step 4):\n  {trace}\n" + _record("db_writer"))


WRITE = "update instances set vm_state = 'active'"


def _what_sqlite_says(home) -> str:
    """What SQLite answers `minicloud db` for a write: the checker tries it read-only too."""
    with closing(db.connect(home, "compute")) as conn:
        try:
            db.query(conn, WRITE)
        except db.DbError as exc:
            return str(exc).rpartition("SQLite said: ")[2].rstrip(")").strip()
    raise AssertionError("compute.db accepted a write through a read-only connection")


def _normal(text: str) -> str:
    return " ".join(text.strip().strip("'\"").rstrip(".").lower().split())


def test_db_write_error_is_what_sqlite_said(demo, lab_cloud):
    """db_write_error is what SQLite said when you tried to change compute.db"""
    server = _server(demo)
    said = _what_sqlite_says(lab_cloud.home)
    recorded = _answer(server, "db_write_error")
    hint = (f"Try to change the row behind Nova's back (Step 5):\n"
            f"  minicloud db query compute \"{WRITE}\"\nand record the words SQLite said (in "
            f"the parentheses at the end of the error):\n"
            f"  {DEMO} server set --property db_write_error='WORDS' {NAME}")
    assert recorded, f"{NAME} has no property db_write_error yet. " + hint
    assert _normal(said) in _normal(recorded), (
        f"db_write_error is '{recorded}', which is not what SQLite says. " + hint)
