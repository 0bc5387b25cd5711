#!/usr/bin/env bash
# Lab 07 reference solution (the Docker mode): boot lab7-vm1 on compute1 and lab7-vm2 on
# compute2, record which nodes are on the data and external networks, capture their ping
# in VXLAN on compute2's data interface and read the VNI, name compute2's RabbitMQ queue,
# stop compute2's container until Nova shows it down, and start it again.
#
# Run it in the shell where `minicloud` finds the cloud ($MINICLOUD_HOME, else ~/.minicloud)
# and `openstack` its clouds.yaml:
#     bash labs/lab07-networks/solution.sh
# Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
admin() { openstack --os-cloud minicloud-admin "$@"; }
# node NAME FIELD: a field of `minicloud nodes -f json` for one node
node() {
    minicloud nodes -f json | python3 -c \
        'import json, sys; print({n["name"]: n for n in json.load(sys.stdin)}[sys.argv[1]][sys.argv[2]])' "$@"
}
# on NETWORK: the nodes whose containers are attached to the Docker network, comma-separated
on() {
    docker network inspect "$1" | python3 -c \
        'import json, sys; print(",".join(sorted(c["Name"].split("-", 1)[1] for c in json.load(sys.stdin)[0]["Containers"].values())))'
}
ip_of() { admin server show -f json "$1" | python3 -c \
    'import json, sys; a = json.load(sys.stdin)["addresses"]; print(a["private"][0] if isinstance(a, dict) else a.split("=")[1].split(",")[0])'; }
service_state() {
    admin compute service list --service nova-compute -f value -c Host -c State | awk '$1 == "compute2" {print $2}'
}

HOME_DIR=${MINICLOUD_HOME:-$HOME/.minicloud}
LAB07=$HOME_DIR/lab07
mkdir -p "$LAB07"
CONTROLLER=$(node controller container)
COMPUTE2=$(node compute2 container)
PREFIX=${CONTROLLER%-controller}

say "Step 1: two servers, one on each compute container"
for pair in lab7-vm1:compute1 lab7-vm2:compute2; do
    name=${pair%%:*} host=${pair##*:}
    admin server show "$name" >/dev/null 2>&1 || admin server create --image cirros \
        --flavor m1.tiny --network private --availability-zone "nova:$host" --wait "$name" -c id
done

say "Step 2: which nodes are on which network"
minicloud nodes
admin server set --property data_nodes="$(on "$PREFIX-data")" \
    --property ext_node="$(on "$PREFIX-ext")" lab7-vm1

say "Step 3: the ping between them, in VXLAN on compute2's data interface"
IP2=$(ip_of lab7-vm2)
minicloud capture compute2 data --count 6 --filter 'udp port 4789' -w "$LAB07/vxlan.pcap" &
sleep 2
minicloud console lab7-vm1 -- ping -c 5 "$IP2"
wait

say "Step 4: the VNI, as tcpdump reads it from the capture"
VNI=$(docker exec -i "$COMPUTE2" tcpdump -nr - < "$LAB07/vxlan.pcap" 2>/dev/null \
      | grep -o 'vni [0-9]*' | head -1 | cut -d' ' -f2)
admin server set --property vni="$VNI" lab7-vm1

say "Step 5: the queue through which the conductor reaches compute2"
docker exec "$CONTROLLER" rabbitmqctl list_queues name consumers messages
QUEUE=$(docker exec "$CONTROLLER" rabbitmqctl -q list_queues name \
        | grep -x 'compute\.compute2')
admin server set --property compute_queue="$QUEUE" lab7-vm1

say "Step 6: compute2's container stopped, seen down, started"
docker stop "$COMPUTE2"
for _ in $(seq 150); do [ "$(service_state)" = down ] && break; sleep 1; done
admin server set --property compute2_stopped="$(service_state)" lab7-vm1
docker start "$COMPUTE2"
for _ in $(seq 150); do [ "$(service_state)" = up ] && break; sleep 1; done
admin compute service list --service nova-compute
