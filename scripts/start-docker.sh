#!/usr/bin/env bash
# A Docker engine for the docker mode and its tests: `make docker-engine` runs this (and CI,
# before `make test`). It installs Debian's docker.io (the engine, dockerd) and debootstrap
# (which builds the node image's base from Debian's packages: containers/base/) when they
# are missing, then starts dockerd in the background unless an engine already answers, and
# waits until it does.
#
# dockerd runs with --iptables=false --ip6tables=false: some hosts (containers, sandboxes)
# have no usable iptables, and minicloud needs none of Docker's NAT rules (containers talk
# over Docker bridge networks; published ports go through docker-proxy). Its log goes to
# $DOCKERD_LOG (default /var/log/minicloud-dockerd.log).
#
# Root only: as another user it says what to run instead. On Docker Desktop, or where a
# system service runs the engine, an engine already answers and nothing is done.
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/minicloud-dockerd.log}
TIMEOUT=${DOCKERD_TIMEOUT:-60}  # seconds to wait for a new engine to answer

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# command -> Debian package
declare -A PACKAGES=([dockerd]=docker.io [docker]=docker.io [debootstrap]=debootstrap)
missing=()
for tool in "${!PACKAGES[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if [[ ${#missing[@]} -eq 0 ]] && answers; then
    echo "*** docker: an engine answers (server $(docker version --format '{{.Server.Version}}'))"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "*** docker: no engine answers, or ${missing[*]:-nothing} is missing; as root:"
    echo "    apt-get install docker.io debootstrap"
    echo "    dockerd --iptables=false --ip6tables=false >/var/log/dockerd.log 2>&1 &"
    echo "    (or: sudo make docker-engine; on Docker Desktop, start Docker Desktop)"
    exit 1
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "*** docker: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # no recommends: docker.io would bring containerd's and apparmor's extras, not needed here
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if answers; then
    echo "*** docker: an engine answers (server $(docker version --format '{{.Server.Version}}'))"
    exit 0
fi

echo "*** docker: starting dockerd --iptables=false --ip6tables=false (log: $LOG)"
# setsid: the engine outlives this script and the make (or CI step) that ran it
setsid dockerd --iptables=false --ip6tables=false >>"$LOG" 2>&1 < /dev/null &
started=$SECONDS
until answers; do
    if ! kill -0 $! 2>/dev/null; then
        echo "*** docker: dockerd exited; the end of $LOG:" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
    if (( SECONDS - started >= TIMEOUT )); then
        echo "*** docker: dockerd (pid $!) did not answer within ${TIMEOUT}s; see $LOG" >&2
        exit 1
    fi
    sleep 0.5
done
echo "*** docker: engine answers after $(( SECONDS - started ))s" \
     "(server $(docker version --format '{{.Server.Version}}'), pid $!)"
