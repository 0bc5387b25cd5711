#!/usr/bin/env bash
# Lab 10 reference solution: four failures, as the operator (cloud minicloud-admin).
#  1. compute2 down: f1 on it, f2 scheduled around it, f1 evacuated, compute2 back;
#  2. the L3 agent down while router r10 gets its gateway, then back;
#  3. storage3 down while three objects are written to container lab10, then healed;
#  4. RabbitMQ taken from the cloud: a call fails with a clear error, then all is back.
# Every answer is recorded on f1 as a property.
#
# Run it against a cloud started with `make lab-up MODE=processes`, in a shell where
# `minicloud` finds that cloud's data directory ($MINICLOUD_HOME, else ~/.minicloud):
#     bash labs/lab10-failures/solution.sh
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
os() { openstack --os-cloud minicloud-admin "$@"; }
state() { os compute service list --service nova-compute -f value -c Host -c State | \
          awk -v h="$1" '$1 == h {print $2}'; }
status() { os server show -f value -c status "$1"; }
wait_status() {  # wait_status SERVER STATUS...
    local server=$1; shift
    until [[ " $* " == *" $(status "$server") "* ]]; do
        [ "$(status "$server")" = ERROR ] && { os server show "$server"; exit 1; }
        sleep 0.5
    done
}
agents_alive() { ! os network agent list -f value -c Alive | grep -qv True; }

say "Step 1: compute2 fails"
os server show f1 >/dev/null 2>&1 || os server create --image cirros --flavor m1.tiny \
    --network private --availability-zone nova:compute2 --wait f1 -c id
if [ "$(os server show -f value -c OS-EXT-SRV-ATTR:host f1)" = compute2 ]; then
    minicloud node stop compute2
    until [ "$(state compute2)" = down ]; do sleep 2; done   # service_down_time
    os server show f2 >/dev/null 2>&1 || \
        os server create --image cirros --flavor m1.tiny --network private --wait f2 -c id
    REQ=$(os server event list f2 -f value -c "Request ID" -c Action | awk '$2 == "create" {print $1}')
    DETAILS=$(os server event show f2 "$REQ" -f json | python3 -c \
        'import json, sys; print(next(e["details"] for e in json.load(sys.stdin)["events"] if e["details"]))')
    echo "$DETAILS"
    FILTER=$(printf '%s\n' "$DETAILS" | tr ';' '\n' | sed -n 's/^ *\([A-Za-z]*Filter\) .*(compute2: .*/\1/p')
    os server set --property dropped_by="$FILTER" f1
    os server evacuate f1
    wait_status f1 ACTIVE SHUTOFF
    [ "$(status f1)" = SHUTOFF ] && os server start f1
    wait_status f1 ACTIVE
fi
minicloud node start compute2
until [ "$(state compute2)" = up ]; do sleep 1; done

say "Step 2: the L3 agent fails while r10 gets its gateway"
if ! os router show r10 >/dev/null 2>&1; then
    minicloud agent stop l3
    os router create r10 -c id
    os router set --external-gateway public r10
    minicloud agents | sed -n '/L3 agent/,/\*\*\*/p'
    minicloud bus queues | grep l3_agent
    os server set --property l3_waited_in=l3_agent.network f1
fi
minicloud agent start l3

say "Step 3: storage3 fails while lab10 is written"
if ! os container show lab10 >/dev/null 2>&1; then
    minicloud swift stop-node storage3
    os container create lab10
    SCRATCH=$(mktemp -d)
    for i in 1 2 3; do
        echo "log $i" >"$SCRATCH/log$i.txt"
        (cd "$SCRATCH" && os object create lab10 "log$i.txt")
    done
    PROJECT=$(os token issue -f value -c project_id)
    minicloud swift files "AUTH_$PROJECT" lab10 log1.txt
    COPIES=$(minicloud swift files "AUTH_$PROJECT" lab10 log1.txt | grep -c '\.data ')
    os server set --property swift_copies="$COPIES" f1
    rm -rf "$SCRATCH"
fi
minicloud swift start-node storage3
minicloud swift replicate

say "Step 4: RabbitMQ is taken from the cloud"
minicloud broker stop
os server show -f value -c status f1
if SAID=$(os console log show f1 2>&1); then
    echo "the console log came without RabbitMQ: the broker was not stopped" >&2; exit 1
fi
echo "$SAID"
CALL=$(printf '%s\n' "$SAID" | sed -n 's/.*could not hand the call \([^ ]*\) to RabbitMQ.*/\1/p')
minicloud broker start
until os console log show f1 >/dev/null 2>&1; do sleep 1; done   # the nodes are back
os server set --property rmq_failed_call="$CALL" f1
until agents_alive && [ "$(state compute2)" = up ] && [ "$(state compute1)" = up ]; do
    sleep 1
done

say "Your answers, on f1:"
os server show -f json -c properties f1
say "Done. Now: make lab-check LAB=10"
