#!/usr/bin/env bash
# Lab 05 reference solution: volume data1 (snapshotted, extended, attached to server db1),
# bootable volume boot1 from cirros, and the demo project's volume quota set to 5.
#
# Run it against the cloud your clouds.yaml points at:
#     bash labs/lab05-cinder/solution.sh
# The demo user (cloud minicloud) owns the volumes and the server; the admin (cloud
# minicloud-admin) sets the quota. Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
admin() { openstack --os-cloud minicloud-admin "$@"; }
# `volume create` and friends return at once: wait until `volume show` says so.
wait_volume() {  # name status
    until [ "$(demo volume show -f value -c status "$1")" = "$2" ]; do sleep 0.2; done
}

say "Step 1: an empty 1 GB volume"
demo volume show data1 >/dev/null 2>&1 || demo volume create --size 1 data1 -c id -c status
wait_volume data1 available
demo volume list

say "Step 2: a bootable volume, written from the cirros image"
demo volume show boot1 >/dev/null 2>&1 || demo volume create --size 1 --image cirros boot1 -c id
wait_volume boot1 available
demo volume show -c bootable -c volume_image_metadata boot1

say "Step 3: a snapshot of data1"
demo volume snapshot show snap1 >/dev/null 2>&1 || \
    demo volume snapshot create --volume data1 snap1 -c id -c status
until [ "$(demo volume snapshot show -f value -c status snap1)" = available ]; do sleep 0.2; done

say "Step 4: grow data1 to 2 GB (only while it is available)"
if [ "$(demo volume show -f value -c size data1)" != 2 ]; then
    demo volume set --size 2 data1
    until [ "$(demo volume show -f value -c size data1)" = 2 ]; do sleep 0.2; done
fi
wait_volume data1 available

say "Step 5: boot db1 and attach data1 to it"
demo server show db1 >/dev/null 2>&1 || \
    demo server create --image cirros --flavor m1.tiny --network private --wait db1 -c id
demo server add volume db1 data1
wait_volume data1 in-use
demo volume list

say "Step 6: the admin limits project demo to 5 volumes"
admin quota set --volumes 5 demo
admin quota show --volume demo

say "Done. Now: make lab-check LAB=05"
