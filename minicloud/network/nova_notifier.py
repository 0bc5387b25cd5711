"""neutron-server -> nova-api: the external events that tell Nova a server's ports changed
(Neutron's `nova` notifier).

When a floating IP is associated with or released from a server's port, or a server's
port gets other fixed IPs, Neutron posts `network-changed` (tag: the port id) to
`POST /v2.1/os-server-external-events` with its own service token (the `neutron` user
holds the admin and service roles), and the trace headers of the request that changed
the port, so the whole chain is one trace. Nova's compute host then reads the ports and
floating IPs back and refreshes the server's network info cache, which is what
`openstack server show` lists under `addresses` (minicloud/compute/external_events.py).

Real Neutron batches the events and sends them a moment later from a background
thread; here they go at once, after the database transaction committed. Nova being
unreachable never fails the Neutron request: the event is logged and dropped, as Neutron
does.
"""

from __future__ import annotations

import logging

import requests

from minicloud.common import errors
from minicloud.common.clients import ComputeClient, ServiceError

LOG = logging.getLogger(__name__)

COMPUTE_OWNER = "compute:"  # device_owner prefix of the ports Nova made or bound


class NovaNotifier:
    """Held by the Neutron facade as `nova_notifier`; `timeout` is Config.http_timeout."""

    def __init__(self, auth, timeout: float):
        self.nova = ComputeClient(auth, timeout)  # as the `neutron` user

    def events_for(self, store, port_ids) -> list[dict]:
        events = []
        for port_id in sorted(p for p in port_ids if p):
            port = store.get("ports", port_id)
            if port and port["device_id"] and (port["device_owner"] or "").startswith(
                    COMPUTE_OWNER):
                events.append({"name": "network-changed", "server_uuid": port["device_id"],
                               "tag": port_id})
        return events

    def send(self, events: list[dict]) -> None:
        if not events:
            return
        try:
            self.nova.external_events(events)
        except ServiceError as exc:
            LOG.warning("Nova refused events %s: %s %s", events, exc.status, exc)
        except (requests.RequestException, errors.ApiError) as exc:  # Nova away, or no
            LOG.warning("could not send events %s to Nova: %s", events, exc)  # catalog entry


def ports_changed(neutron, port_ids) -> None:
    """Tell Nova about changed ports of servers (no-op when Neutron runs without Nova)."""
    notifier = neutron.nova_notifier
    if notifier is not None:
        notifier.send(notifier.events_for(neutron.store, port_ids))
