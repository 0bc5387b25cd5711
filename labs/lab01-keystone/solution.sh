#!/usr/bin/env bash
# Lab 01 reference solution: project lab, users alice (member) and bob (reader), their logins.
#
# Run it as the admin, against the cloud your clouds.yaml points at:
#     OS_CLOUD=minicloud-admin bash labs/lab01-keystone/solution.sh
# OS_CLOUD and OS_CLIENT_CONFIG_FILE come from the environment (OS_CLOUD defaults to
# minicloud-admin). Running it again is harmless: --or-show keeps what already exists.
set -euo pipefail
export OS_CLOUD="${OS_CLOUD:-minicloud-admin}"

say() { printf '*** %s\n' "$*"; }

say "Project lab, user alice (password s3cret) with the role member on lab"
openstack project create --or-show --description "Lab 01" lab -c id -c name -c enabled
openstack user create --or-show --password s3cret alice -c id -c name -c domain_id
openstack role add --project lab --user alice member   # a PUT: granting twice changes nothing

say "User bob (password b0bpass) with the role reader on lab"
openstack user create --or-show --password b0bpass bob -c id -c name -c domain_id
openstack role add --project lab --user bob reader

openstack role assignment list --project lab --names

# The cloud's auth_url and domains still come from OS_CLOUD; these options replace its
# user, password and project.
alice=(--os-username alice --os-password s3cret --os-project-name lab)
bob=(--os-username bob --os-password b0bpass --os-project-name lab)

say "alice and bob log in to project lab"
openstack "${alice[@]}" token issue -c project_id -c user_id
openstack "${bob[@]}" token issue -c project_id -c user_id

say "A member may not create projects: this must fail with HTTP 403"
if openstack "${alice[@]}" project create not-allowed; then
    echo "alice could create a project: the admin role is not enforced" >&2
    exit 1
fi

say "alice revokes a token of hers"
token=$(openstack "${alice[@]}" token issue -f value -c id)
openstack "${alice[@]}" token revoke "$token"

say "Done. Now: make lab-check LAB=01"
