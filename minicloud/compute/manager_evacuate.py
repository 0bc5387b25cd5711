"""The compute host's side of evacuate (a mixin of manager.ComputeManager).

On the destination, `rebuild_instance` with recreate (Nova's name for it): the server's
ports are bound to this host in Neutron, its volumes get new Cinder attachments with this
host's connector, and the driver spawns it from its image (a volume-backed server from its
volume). The conductor then moves it here (host, node; migration `done`) and frees this
host's claim if it fails (migration `failed`, server ERROR, still on the failed host).

On the failed host, when it starts again: `destroy_evacuated` (called by recovery.py)
destroys the guests it still has of servers evacuated away, as Nova's init_host does, and
the conductor frees that host's claim (migration `completed`).
"""

from __future__ import annotations

import logging
import time

from minicloud.compute import driver as virt

LOG = logging.getLogger(__name__)


class EvacuateManager:
    def evacuate_here(self, ctx, instance: dict, migration: dict, new_pass: str | None = None,
                      on_shared_storage: bool | None = None, target_state: str | None = None):
        """Build the server of a failed host on this one. `target_state` "stopped" (2.95):
        it ends stopped; else as it was (an ERROR server ends ACTIVE)."""
        start, event = time.time(), "compute_rebuild_instance"
        stop = instance["vm_state"] == "stopped" or (
            target_state == "stopped" and instance["vm_state"] != "error")
        with self._locks[instance["id"]]:
            try:
                if on_shared_storage:  # this cloud's hosts keep instance files locally
                    raise virt.DriverError("Invalid state of instance files on shared storage")
                image = self.images.get(instance["image_ref"]) if instance["image_ref"] else {}
                self._bind_ports(instance, self.host)
                self._update(ctx, instance, task_state="rebuild_block_device_mapping")
                bdms = self._reattach_volumes(ctx, instance)
                self._update(ctx, instance, task_state="rebuild_spawning")
                with self._driver("spawn (evacuated)", instance) as span:
                    self.driver.spawn(instance, image, instance["network_info"],
                                      block_device_info=bdms)
                    if stop:
                        self.driver.power_off(instance)
                    span.attrs["note"] = f"{instance['name']} rebuilt on {self.host}"
            except Exception as exc:  # noqa: BLE001 - nothing half-built stays here
                LOG.warning("%s: evacuation of %s failed: %s", self.host, instance["id"], exc)
                self._safe_destroy(instance)
                self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                    migration=migration, status="failed", free_host=self.host,
                                    updates={"vm_state": "error", "task_state": None},
                                    event=self._event(event, "Error", str(exc), start))
                return
            LOG.info("%s: server %s evacuated from %s", self.host, instance["id"],
                     migration["source"])
            self.conductor.call(ctx, "migration_done", instance_id=instance["id"],
                                migration=migration, status="done", free_host=None,
                                updates={"host": self.host, "node": self.host,
                                         "vm_state": "stopped" if stop else "active",
                                         "power_state": virt.SHUTDOWN if stop else virt.RUNNING,
                                         "task_state": None, "launched_at": time.time()},
                                event=self._event(event, start=start))

    def _reattach_volumes(self, ctx, instance: dict) -> list[dict]:
        """Each volume: the failed host's attachment goes, a new one gets this host's
        connector (Nova makes the new one first; this Cinder reserves only an available
        volume)."""
        bdms = self.conductor.call(ctx, "block_device_mappings", instance_id=instance["id"])
        for bdm in bdms:
            self._drop_attachment(bdm)
            bdm["attachment_id"] = self.volumes.attachment_create(bdm["volume_id"],
                                                                  instance["id"])["id"]
            self.conductor.call(ctx, "bdm_attachment_moved", bdm_uuid=bdm["uuid"],
                                attachment_id=bdm["attachment_id"])
            self.connect_volume(bdm)
        return bdms

    def destroy_evacuated(self, ctx, evacuations: list[dict]) -> set[str]:
        """At start: destroy the guests of servers evacuated from this host while it was
        down; the ids of those servers (recovery leaves them alone)."""
        gone = set()
        for found in evacuations:
            migration, instance = found["migration"], found["instance"]
            if instance is None:
                continue
            if migration["status"] == "done" and instance["host"] == self.host:
                continue  # it has come back here since (a later move)
            LOG.warning("%s: destroying server %s: it was evacuated to %s while this host "
                        "was down", self.host, instance["id"], instance["host"])
            with self._driver("destroy (evacuated)", instance):
                self.driver.destroy_evacuated(instance)
            self.conductor.call(ctx, "evacuation_cleaned", migration=migration,
                                instance_id=instance["id"], host=self.host)
            gone.add(instance["id"])
        return gone
