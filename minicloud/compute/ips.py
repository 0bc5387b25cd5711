"""`/servers/{id}/ips` and `/servers/{id}/ips/{network_label}`: a server's addresses by
network (`openstack server show` reads the same from `addresses`).

Nova answers from the instance's network info cache, the copy of Neutron's ports and
floating IPs that the compute host keeps up to date (at boot, and on every
`network-changed` event Neutron sends, see external_events.py); this view gives only
`addr` and `version` per address, without the `OS-EXT-IPS` keys of the server body.
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.compute import views


class ServerIPs:
    def __init__(self, api):
        self.api = api

    def on_get(self, req, resp, server_id, network_label=None):
        networks = views.addresses(self.api.instance(req, server_id), extended=False)
        if network_label is None:
            resp.media = {"addresses": networks}
            return
        if network_label not in networks:
            raise errors.NotFound("Instance is not a member of specified network")
        resp.media = {network_label: networks[network_label]}
