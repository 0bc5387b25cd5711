#!/usr/bin/env bash
# The system tools the real data plane uses (the netns mode and its tests): iproute2,
# nftables, dnsmasq (dnsmasq-base: the program without a system service that would start
# a DNS server on the host) and dhcp_release (dnsmasq-utils), tcpdump, ping and busybox's
# udhcpc (the guests' DHCP client); and chromium, the browser the dashboard's tests and
# `make screenshots` drive through Playwright (never a browser Playwright downloads).
#
# `make install` runs this. As root on Debian or Ubuntu it installs what is missing with
# apt-get; otherwise it lists what is missing and says how to install it (the in-process
# and processes modes need none of it).
set -euo pipefail

# command -> Debian package
declare -A PACKAGES=(
    [ip]=iproute2 [nft]=nftables [dnsmasq]=dnsmasq-base [dhcp_release]=dnsmasq-utils
    [tcpdump]=tcpdump [ping]=iputils-ping [udhcpc]=udhcpc [chromium]=chromium
)

missing=()
for tool in "${!PACKAGES[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "*** system tools: all present (${!PACKAGES[*]})"
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "*** system tools missing: ${missing[*]}"
    echo "    the netns mode needs them; as root: apt-get install ${missing[*]}"
    exit 0
fi
echo "*** installing system tools: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
