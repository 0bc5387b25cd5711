#!/usr/bin/env bash
# Lab 06 reference solution: container lab06, hello.txt with metadata, ten notes uploaded
# while storage2 is down, then storage2 back and a replication pass.
#
# Run it against your cloud (the data directory is $MINICLOUD_HOME or ~/.minicloud):
#     eval "$(minicloud env)"; bash labs/lab06-swift/solution.sh
# Running it again is harmless: uploads replace objects, starting a running node is a no-op.
set -euo pipefail
export OS_CLOUD=minicloud            # the demo user: its own account AUTH_<demo's project id>
eval "$(minicloud swift env)"        # the swift CLI reads OS_AUTH_URL, OS_USERNAME, ...

say() { printf '*** %s\n' "$*"; }
# The lab's files live in the lab06 folder of the cloud's data directory (never in the
# repository).
WORK=${MINICLOUD_HOME:-$HOME/.minicloud}/lab06
mkdir -p "$WORK"
cd "$WORK"

say "Container lab06 and the object hello.txt"
openstack container create lab06
printf 'hello swift\n' > hello.txt
swift upload lab06 hello.txt
swift post -m color:blue lab06 hello.txt
swift stat lab06 hello.txt

say "storage2 fails; the ten notes are uploaded while it is down (2 of 3 is a quorum)"
minicloud swift stop-node storage2
mkdir -p notes
for i in $(seq -w 1 10); do echo "note $i" > "notes/$i.txt"; done
swift upload lab06 notes
swift list lab06
minicloud swift nodes

say "storage2 is back; one replication pass gives every object its third copy"
minicloud swift start-node storage2
minicloud swift replicate
minicloud swift nodes
project=$(openstack token issue -f value -c project_id)
minicloud swift files "AUTH_$project" lab06 notes/03.txt

say "Done. Now: make lab-check LAB=06"
