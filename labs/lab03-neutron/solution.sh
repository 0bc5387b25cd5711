#!/usr/bin/env bash
# Lab 03 reference solution: network lab-net with subnet lab-subnet, router lab-router with
# its gateway on public and an interface on lab-subnet, port lab-port with a floating IP,
# SSH allowed by the default group, and lab-net's VNI read from the data plane (the output
# of `minicloud agents`, saved in the lab03 folder of the data directory).
#
# Run it against the cloud your clouds.yaml points at (and `minicloud` at its data
# directory, $MINICLOUD_HOME or ~/.minicloud):
#     bash labs/lab03-neutron/solution.sh
# Everything belongs to the demo user (cloud minicloud). Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }

say "Step 1: a network and a subnet"
demo network show lab-net >/dev/null 2>&1 || demo network create lab-net -c id -c mtu
demo subnet show lab-subnet >/dev/null 2>&1 || demo subnet create --network lab-net \
    --subnet-range 192.168.50.0/24 --dns-nameserver 203.0.113.53 lab-subnet \
    -c id -c cidr -c gateway_ip -c allocation_pools

say "Step 2: a router with its gateway on the external network"
demo router show lab-router >/dev/null 2>&1 || demo router create lab-router -c id
demo router set --external-gateway public lab-router
demo router show -c external_gateway_info lab-router

say "Step 3: the router's interface on lab-subnet"
subnet_id=$(demo subnet show -f value -c id lab-subnet)
demo port list --router lab-router -f value -c "Fixed IP Addresses" | grep -q "$subnet_id" \
    || demo router add subnet lab-router lab-subnet
demo port list --router lab-router

say "Step 4: a port and a floating IP"
demo port show lab-port >/dev/null 2>&1 || demo port create --network lab-net lab-port -c id -c fixed_ips
port_id=$(demo port show -f value -c id lab-port)
if [ -z "$(demo floating ip list --port "$port_id" -f value -c ID)" ]; then
    fip=$(demo floating ip create public -f value -c floating_ip_address)
    demo floating ip set --port lab-port "$fip"
fi
demo floating ip list --port "$port_id"

say "Step 5: let SSH in"
demo security group rule create --protocol tcp --dst-port 22 default -c id 2>/dev/null \
    || echo "(the rule exists already)"

say "Step 6: what the network node's agents configured, saved in the lab03 folder"
net_id=$(demo network show -f value -c id lab-net)
WIRE=${MINICLOUD_HOME:-$HOME/.minicloud}/lab03; mkdir -p "$WIRE"
minicloud agents > "$WIRE/agents.txt"
cat "$WIRE/agents.txt"
# The bridge of lab-net is brq<first 11 characters of its id>; its uplink is vxlan-<VNI>.
vni=$(awk -v brq="brq${net_id:0:11}" '
    $1 == "bridge" && $2 == brq {found = 1; next}
    found && $1 == "uplink" {sub("vxlan-", "", $2); print $2; exit}' "$WIRE/agents.txt")
echo "lab-net is VXLAN VNI $vni on the data network"
demo network set --description "vni=$vni" lab-net

# Step 7 needs a real data plane: `minicloud fault status` answers only in the netns mode.
if ! minicloud fault status >/dev/null 2>&1; then
    say "Step 7: skipped (netns mode only)"
    exit 0
fi
say "Step 7: two servers on two compute nodes, and their traffic on the wire"
admin() { openstack --os-cloud minicloud-admin "$@"; }
for pair in lab-vm1:compute1 lab-vm2:compute2; do
    name=${pair%%:*} host=${pair##*:}
    admin server show "$name" >/dev/null 2>&1 || admin server create --image cirros \
        --flavor m1.tiny --network lab-net --availability-zone "nova:$host" --wait "$name" -c id
done
admin server list -c Name -c Networks
vm2=$(admin server show -f json -c addresses lab-vm2 | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["addresses"]["lab-net"][0])')
# the guest may still be waiting for its DHCP lease: ping until it answers
for _ in $(seq 30); do minicloud console lab-vm1 -- ping -c 1 -W 1 "$vm2" >/dev/null && break; done
minicloud capture compute2 data --count 6 --timeout 20 --filter "udp port 4789" \
    -w "$WIRE/vxlan.pcap" &
sleep 1  # tcpdump's start
minicloud console lab-vm1 -- ping -c 5 -i 0.3 "$vm2"; wait
tcpdump -nr "$WIRE/vxlan.pcap"
# compute1's namespace: the one its node's processes run in (mc-compute1 in a learner's cloud)
pid=$(minicloud nodes -f json | python3 -c \
    'import json, sys; print(next(n["pid"] for n in json.load(sys.stdin) if n["name"] == "compute1"))')
ns=$(ip netns identify "$pid")
ip netns exec "$ns" ip -d link show > "$WIRE/compute1-links.txt"
ip netns exec "$ns" bridge fdb show > "$WIRE/compute1-fdb.txt"
grep dst "$WIRE/compute1-fdb.txt"
