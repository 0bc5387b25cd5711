#!/usr/bin/env bash
# Lab 02 reference solution: lab-image (with properties, a tag, made public by the admin),
# lab-queued (no data), lab-secret (private), project partner with user carol, and a
# download into the lab02 folder of the data directory, checked against the original.
#
# Run it against the cloud `minicloud env` points at:
#     eval "$(minicloud env)"; bash labs/lab02-glance/solution.sh
# The demo user (cloud minicloud) owns the images; the admin (cloud minicloud-admin)
# creates carol and publishes lab-image. Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
admin() { openstack --os-cloud minicloud-admin "$@"; }
carol() { openstack --os-cloud minicloud --os-username carol --os-password c4rol \
                    --os-project-name partner "$@"; }
exists() { demo image show "$1" >/dev/null 2>&1; }
FORMATS=(--disk-format raw --container-format bare)

# The lab's files live in the lab02 folder of the cloud's data directory, where the
# checker looks for the downloaded copy (never in the repository).
WORK=${MINICLOUD_HOME:-$HOME/.minicloud}/lab02
mkdir -p "$WORK"
cd "$WORK"

say "Step 1: a 2 MiB image file, uploaded with properties and a tag"
[ -f lab.img ] || head -c 2097152 /dev/urandom > lab.img
md5sum lab.img
exists lab-image || demo image create --file lab.img "${FORMATS[@]}" \
    --property os_distro=labos --property lab=02 --tag lab02 lab-image \
    -c id -c status -c size -c checksum

say "Step 2: an image without data stays queued"
# In a terminal: openstack image create --disk-format raw --container-format bare lab-queued
# In a script the client would upload stdin (not a terminal) as the data, so the record
# alone is made here with openstacksdk, which is what the client uses underneath.
exists lab-queued || python3 -c '
import openstack
openstack.connect(cloud="minicloud").image.create_image(
    name="lab-queued", disk_format="raw", container_format="bare", allow_duplicates=True)'
demo image show -c status -c size lab-queued

say "Step 3: a private image, and project partner with user carol"
exists lab-secret || demo image create --file lab.img "${FORMATS[@]}" --private lab-secret \
    -c id -c visibility
admin project create --or-show partner -c id -c name
admin user create --or-show --password c4rol carol -c id -c name
admin role add --project partner --user carol member

say "Step 4: only the admin may publish an image"
demo image set --public lab-image 2>/dev/null || echo "(refused, as expected: demo is not an admin)"
admin image set --public lab-image

say "Step 5: carol sees lab-image, not lab-secret"
carol image list
carol image show lab-secret 2>/dev/null || echo "(not found, as expected: lab-secret is private)"

say "Step 6: download into the lab02 folder and compare"
demo image save --file lab-copy.img lab-image
cmp -s lab.img lab-copy.img && echo "lab-copy.img is identical to lab.img"
test "$(md5sum lab-copy.img | cut -d' ' -f1)" = "$(demo image show -f value -c checksum lab-image)" \
    && echo "download intact"
