#!/usr/bin/env bash
# Lab 11 reference solution: launch dash1 through the dashboard (as a browser would: the
# login form, then the Launch Instance form, each with its CSRF token), read its request id
# in the API calls panel; create cli1 with `openstack --debug` and read its request id in
# the debug output; compare the two requests; record the answers as properties.
#
# Run it against the cloud your clouds.yaml points at, in the shell where `minicloud`
# finds that cloud's data directory ($MINICLOUD_HOME, else ~/.minicloud):
#     bash labs/lab11-dashboard/solution.sh
# Running it again is harmless.
set -euo pipefail

say() { printf '*** %s\n' "$*"; }
demo() { openstack --os-cloud minicloud "$@"; }
status() { demo server show -f value -c status "$1"; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

DASHBOARD=$(minicloud status | awk '$1 == "dashboard" {print $2}')
say "The dashboard: $DASHBOARD"

say "Steps 1-3: log in as demo, launch dash1 from the Launch Instance form, read the API calls panel"
if ! demo server show dash1 >/dev/null 2>&1; then
    python3 - "$DASHBOARD" "${OS_PASSWORD:-secret}" > "$WORK/dash_request" <<'PY'
import re, sys, requests
url, password = sys.argv[1], sys.argv[2]
browser = requests.Session()
csrf = lambda page: re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
login = browser.get(url + "/auth/login").text
browser.post(url + "/auth/login", data={"csrf_token": csrf(login), "username": "demo",
                                        "password": password, "domain": "Default"})
form = browser.get(url + "/project/instances/launch").text
choice = lambda field, label: re.search(
    r'<option value="([^"]+)"[^>]*>%s' % label,
    form.split(f'name="{field}"', 1)[1]).group(1)
page = browser.post(url + "/project/instances", data={
    "csrf_token": csrf(form), "name": "dash1", "image": choice("image", "cirros"),
    "flavor": choice("flavor", "m1.tiny"), "network": choice("network", "private"),
    "security_groups": "default"}).text
row = re.search(r'<td class="method">POST</td><td class="url">[^<]*/v2\.1/servers</td>'
                r'<td class="code">202</td>.*?href="/flow/([^"]+)"', page, re.S)
print(row.group(1))
PY
    DASH_REQ=$(cat "$WORK/dash_request")
    echo "API calls panel: POST .../v2.1/servers 202 $DASH_REQ"
    until [ "$(status dash1)" = ACTIVE ]; do sleep 0.2; done
    demo server set --property dashboard_request="$DASH_REQ" dash1
fi

say "Step 4: the same with the CLI, with --debug"
if ! demo server show cli1 >/dev/null 2>&1; then
    demo --debug server create --image cirros --flavor m1.tiny --network private --wait cli1 \
        2> "$WORK/debug.log" >/dev/null
    grep -A2 -- '-X POST .*/v2.1/servers ' "$WORK/debug.log" | cut -c1-160
    CLI_REQ=$(grep -A2 -- '-X POST .*/v2.1/servers ' "$WORK/debug.log" \
              | grep -o 'X-Openstack-Request-Id: req-[0-9a-f-]*' | head -1 | cut -d' ' -f2)
    demo server set --property cli_request="$CLI_REQ" cli1
fi

say "Step 5: compare the two requests"
DASH_REQ=$(demo server show -f json -c properties dash1 | python3 -c \
           'import json,sys; print(json.load(sys.stdin)["properties"]["dashboard_request"])')
CLI_REQ=$(demo server show -f json -c properties cli1 | python3 -c \
          'import json,sys; print(json.load(sys.stdin)["properties"]["cli_request"])')
for REQ in "$DASH_REQ" "$CLI_REQ"; do
    for _ in $(seq 50); do  # the trace reaches trace.db in batches, within a moment
        minicloud trace show "$REQ" >/dev/null 2>&1 && break
        sleep 0.1
    done
    minicloud trace show "$REQ" --hide agent | head -4
done
demo server set --property both_used="POST /v2.1/servers" dash1

say "Done. Now: make lab-check LAB=11"
