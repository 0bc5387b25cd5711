#!/usr/bin/env bash
# Lab 08 reference solution: watch msg1's boot on the bus and record the routing key, the
# kind and the request of the conductor's build_and_run_instance; stop compute2, boot msg2
# pinned to it, record the queue its build waits in; start compute2 and let msg2 build.
#
# Run it against a cloud started with `make lab-up MODE=processes` (RabbitMQ), in a shell
# where `minicloud` finds that cloud's data directory ($MINICLOUD_HOME, else ~/.minicloud):
#     bash labs/lab08-messages/solution.sh
# Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
admin() { openstack --os-cloud minicloud-admin "$@"; }
# field JSON KEY: one key of a JSON object on stdin
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# ready QUEUE: the messages waiting in QUEUE, as RabbitMQ counts them
ready() {
    minicloud bus queues -f json | python3 -c \
        'import json, sys; print(sum(r["messages"] for r in json.load(sys.stdin) if r["name"] == sys.argv[1]))' "$1"
}
status() { admin server show -f value -c status "$1"; }

say "Step 1: watch msg1's boot on the bus"
if ! demo server show msg1 >/dev/null 2>&1; then
    WATCH=$(mktemp)
    minicloud bus watch --method build_and_run_instance --count 1 --timeout 120 -f json \
        >"$WATCH" 2>"$WATCH.err" &
    WATCHER=$!
    until grep -q '^\*\*\* Watching' "$WATCH.err"; do sleep 0.1; done
    demo server create --image cirros --flavor m1.tiny --network private --wait msg1 -c id
    wait "$WATCHER"
    cat "$WATCH"
    KEY=$(field key <"$WATCH")
    KIND=$(field kind <"$WATCH")
    REQUEST=$(field request <"$WATCH")
    demo server set --property routing_key="$KEY" --property build_kind="$KIND" \
        --property build_request="${REQUEST:0:12}" msg1
    rm -f "$WATCH" "$WATCH.err"
fi

say "Step 2: stop compute2, boot msg2 pinned to it, see the build wait in its queue"
if ! admin server show msg2 >/dev/null 2>&1; then
    minicloud node stop compute2
    minicloud bus queues | grep compute
    admin server create --image cirros --flavor m1.tiny --network private \
        --availability-zone nova:compute2 msg2 -c id
    for _ in $(seq 30); do  # the conductor casts within a moment (rabbitmqctl takes ~1 s)
        [ "$(ready compute.compute2)" -ge 1 ] && break
    done
    minicloud bus queues | grep compute
    admin server show -c status -c OS-EXT-STS:task_state msg2
    admin server set --property waited_in=compute.compute2 \
        --property waiting="$(ready compute.compute2)" msg2
fi

say "Step 3: start compute2; msg2 builds"
minicloud node start compute2
until [ "$(status msg2)" = ACTIVE ]; do
    [ "$(status msg2)" = ERROR ] && { admin server show msg2; exit 1; }
    sleep 0.2
done
admin server show -c status -c OS-EXT-SRV-ATTR:host -c properties msg2
minicloud bus queues | grep compute
say "Done. Now: make lab-check LAB=08"
