#!/usr/bin/env bash
# The node image's base layer: a minimal Debian made from Debian's own packages, with no
# image registry involved. minicloud.dockermode.image runs this, then imports the tarball
# into Docker (the same as `docker import OUT.tar minicloud-base:HASH`).
#
#   build-rootfs.sh SUITE MIRROR OUT.tar
#
# debootstrap --variant=minbase installs only Debian's "required" packages plus apt, and
# --include adds ours (packages.txt, beside this file). It runs package scripts in a
# chroot; debootstrap blocks service starts there (policy-rc.d), so RabbitMQ is installed
# but not started on the host. Root only.
set -euo pipefail
suite=$1 mirror=$2 out=$3
here=$(dirname "$0")
packages=$(sed -e 's/#.*//' -e '/^\s*$/d' "$here/packages.txt" | paste -sd, -)

rootfs=$(mktemp -d "${out}.rootfs.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --components=main --include="$packages" \
    "$suite" "$rootfs" "$mirror"

# what a container never needs: the package lists and downloaded .debs (apt-get update
# fetches them again), documentation and manual pages
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb \
       "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
       "$rootfs"/usr/share/info/*
# the host's name and resolver stay behind: Docker gives each container its own
: > "$rootfs/etc/hostname"
: > "$rootfs/etc/resolv.conf"

tar --numeric-owner -C "$rootfs" -cf "$out" .
