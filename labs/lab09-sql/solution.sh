#!/usr/bin/env bash
# Lab 09 reference solution: boot sql1, read its row in compute.db, its IP allocation in
# network.db and demo's role in identity.db with `minicloud db query`, stop it, read the
# row again and who wrote it (in the trace), try a write, and record every answer on sql1
# as a property.
#
# Run it against the cloud your clouds.yaml points at, in the shell where `minicloud`
# finds that cloud's data directory ($MINICLOUD_HOME, else ~/.minicloud):
#     bash labs/lab09-sql/solution.sh
# Everything is done as the demo user (cloud minicloud). Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
# sql SERVICE QUERY: the first column of every row the query returns, joined by commas.
sql() {
    minicloud db query "$1" "$2" -f json | python3 -c \
        'import json, sys; print(",".join(str(next(iter(r.values()))) for r in json.load(sys.stdin)))'
}
status() { demo server show -f value -c status sql1; }

say "Step 1: boot sql1 and read its row in compute.db"
demo server show sql1 >/dev/null 2>&1 || \
    demo server create --image cirros --flavor m1.tiny --network private --wait sql1 -c id
ID=$(demo server show -f value -c id sql1)
minicloud db query compute \
    "select id, name, host, vm_state, task_state from instances where name = 'sql1' and deleted = 0"
demo server set --property db_host="$(sql compute "select host from instances where id = '$ID'")" sql1
if [ "$(status)" = ACTIVE ]; then  # a second run finds it stopped: its answer is recorded
    demo server set --property \
        db_vm_state="$(sql compute "select vm_state from instances where id = '$ID'")" sql1
fi

say "Step 2: its IP allocation in network.db, through the port whose device is sql1"
ALLOCATION="from ip_allocations a join ports p on p.id = a.port_id where p.device_id = '$ID'"
minicloud db query network "select a.ip_address, a.subnet_id, p.device_owner $ALLOCATION"
demo server set --property db_ip="$(sql network "select a.ip_address $ALLOCATION")" \
    --property db_subnet="$(sql network "select a.subnet_id $ALLOCATION")" sql1

say "Step 3: demo's role on project demo in identity.db"
ROLES="select r.name from assignments a join users u on u.id = a.actor_id
       join projects p on p.id = a.target_id join roles r on r.id = a.role_id
       where u.name = 'demo' and p.name = 'demo'"
minicloud db query identity "$ROLES"
demo server set --property db_role="$(sql identity "$ROLES")" sql1

say "Step 4: stop sql1; read vm_state again, and who wrote it in the stop's trace"
if [ "$(status)" != SHUTOFF ]; then
    demo server stop sql1
    until [ "$(status)" = SHUTOFF ]; do sleep 0.2; done
fi
REQ=$(sql compute "select request_id from instance_actions where instance_id = '$ID'
                   and action = 'stop' order by start_time desc limit 1")
WRITER="select distinct service from spans where operation = 'instance_update'
        and trace_id in (select trace_id from spans where request_id = '$REQ')"
for _ in $(seq 50); do  # the trace's spans reach trace.db in batches, within a moment
    [ -n "$(sql trace "$WRITER")" ] && break
    sleep 0.1
done
minicloud trace show "$REQ"
WRITER=$(sql trace "$WRITER")
demo server set --property db_writer="${WRITER%%@*}" \
    --property db_state_after_stop="$(sql compute "select vm_state from instances where id = '$ID'")" \
    sql1

say "Step 5: a write behind Nova's back is refused"
if SAID=$(minicloud db query compute "update instances set vm_state = 'active'" 2>&1); then
    echo "the write was accepted: minicloud db should have refused it" >&2; exit 1
fi
echo "$SAID"
SAID=$(printf '%s\n' "$SAID" | sed -n 's/.*SQLite said: \(.*\))$/\1/p')
demo server set --property db_write_error="$SAID" sql1

say "Your answers, on sql1 (and in compute.db's metadata column):"
demo server show -f json -c properties sql1
say "Done. Now: make lab-check LAB=09"
