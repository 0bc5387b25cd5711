"""The compute host's side of os-interface (a mixin of manager.ComputeManager).

attach_interface (an RPC call from nova-api): create the port on the network or take the
user's, bind it to this host through Neutron's REST API (device_id, device_owner
`compute:nova`, binding:host_id), plug it into the guest, and have the conductor add it to
the server's network info; the answer is the Neutron port. detach_interface (a cast):
unplug, delete a port Nova made or give the user's back, drop it from the network info.
"""

from __future__ import annotations

import logging
import time

from minicloud.common.clients import ServiceError

LOG = logging.getLogger(__name__)


class InterfaceManager:
    def attach_interface(self, ctx, instance: dict, request: dict) -> dict:
        start, event = time.time(), "compute_attach_interface"
        with self._locks[instance["id"]]:
            vif = None
            try:
                vif = self.allocate_port(instance, request)
                with self._driver(f"attach interface {vif['port_id'][:8]}", instance):
                    self.driver.attach_interface(instance, vif)
            except Exception as exc:
                if vif is not None:
                    self._release_port(instance, vif)
                self.conductor.call(ctx, "instance_update", instance_id=instance["id"],
                                    updates={}, event=self._event(event, "Error", str(exc),
                                                                  start))
                raise
            self.conductor.call(ctx, "vif_added", instance_id=instance["id"], vif=vif,
                                event=self._event(event, start=start))
            return self.networks.port(vif["port_id"])

    def detach_interface(self, ctx, instance: dict, port_id: str):
        start, event = time.time(), "compute_detach_interface"
        with self._locks[instance["id"]]:
            vif = next((v for v in instance["network_info"] if v["port_id"] == port_id),
                       {"port_id": port_id})
            with self._driver(f"detach interface {port_id[:8]}", instance):
                try:
                    self.driver.detach_interface(instance, port_id)
                except Exception as exc:  # noqa: BLE001 - not plugged: still release it
                    LOG.warning("%s: detach of port %s: %s", self.host, port_id, exc)
            self._release_port(instance, vif)
            self.conductor.call(ctx, "vif_removed", instance_id=instance["id"],
                                port_id=port_id, event=self._event(event, start=start))

    def _release_port(self, instance: dict, vif: dict) -> None:
        """Delete a port Nova created; unbind one the user brought."""
        try:
            if vif.get("preexisting") or vif["port_id"] in self._users_ports(instance):
                self.networks.update_port(vif["port_id"], device_id="", device_owner="",
                                          **{"binding:host_id": ""})
            else:
                self.networks.delete_port(vif["port_id"])
        except ServiceError as exc:
            LOG.warning("%s: port %s not released: %s", self.host, vif["port_id"], exc)
