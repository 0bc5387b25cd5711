#!/usr/bin/env bash
# Lab 04 reference solution: key pair labkey, server web1 (the host and the RPC hops of its
# boot read off its trace and recorded on it, labelled, rebooted, stopped and started,
# live-migrated by the admin), compute2 disabled while web2 boots, then enabled.
#
# Run it against the cloud `minicloud env` points at:
#     eval "$(minicloud env)"; bash labs/lab04-nova/solution.sh
# The demo user (cloud minicloud) owns the servers; the admin (cloud minicloud-admin)
# migrates web1 and takes compute2 out of service. Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
admin() { openstack --os-cloud minicloud-admin "$@"; }
BOOT=(--image cirros --flavor m1.tiny --network private)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say "Step 1: import a public key as labkey"
if ! demo keypair show labkey >/dev/null 2>&1; then
    ssh-keygen -q -t ed25519 -N '' -C lab04 -f "$work/lab04"
    demo keypair create --public-key "$work/lab04.pub" labkey
fi

say "Step 2: boot web1, read the trace of its boot, record what it says"
if ! demo server show web1 >/dev/null 2>&1; then
    demo server create "${BOOT[@]}" --key-name labkey --wait web1 -c id -c status
    trace=$(minicloud trace last)       # right after the create: its trace
    echo "$trace"
    # the conductor's note names the host the scheduler chose: "[nova-conductor] scheduled on X"
    host=$(grep -o 'scheduled on [a-z0-9-]*' <<<"$trace" | head -1 | cut -d' ' -f3)
    # each RPC message between Nova's services: "nova-X -> nova-Y  call ..." or "-) ... cast ..."
    hops=$(grep -cE 'nova-[a-z]+(@[a-z0-9-]+)? (->|-\)) +nova-[^ ]+ +(call|cast) ' <<<"$trace")
    demo server set --property scheduled_host="$host" --property rpc_hops="$hops" web1
fi
demo server show -c properties web1
id=$(demo server show -f value -c id web1)

say "Step 3: label it"
demo server set --property role=web web1

say "Step 4: reboot, stop and start it, and list its events"
demo server reboot --wait web1
demo server stop web1
until [ "$(demo server show -f value -c status web1)" = SHUTOFF ]; do sleep 1; done
demo server start web1
until [ "$(demo server show -f value -c status web1)" = ACTIVE ]; do sleep 1; done
demo server event list web1

say "Step 5: the admin live-migrates web1 to the other compute host"
host=$(admin server show -f value -c OS-EXT-SRV-ATTR:host "$id")
other=compute2; [ "$host" = compute2 ] && other=compute1
admin server migrate --live-migration --host "$other" --wait "$id"
admin server show -c OS-EXT-SRV-ATTR:host -c status "$id"

say "Step 6: disable compute2, boot web2 (the scheduler skips compute2)"
admin compute service set --disable --disable-reason "lab04 maintenance" compute2 nova-compute
demo server show web2 >/dev/null 2>&1 || demo server create "${BOOT[@]}" --wait web2 -c id -c status
admin server show -c OS-EXT-SRV-ATTR:host "$(demo server show -f value -c id web2)"

say "Step 7: end the maintenance"
admin compute service set --enable compute2 nova-compute
admin compute service list

say "Done. Now: make lab-check LAB=04"
