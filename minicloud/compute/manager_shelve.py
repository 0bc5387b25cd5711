"""The compute host's side of createImage and shelve (a mixin of manager.ComputeManager).

snapshot_instance: the driver gives the guest's disk, the host uploads it to the Glance
image nova-api created (PUT /v2/images/{id}/file, nova token). shelve_instance: power off,
snapshot as above, SHELVED; then (shelved_offload_time 0) shelve_offload_instance: off the
hypervisor, ports unbound, the conductor frees the claim (SHELVED_OFFLOADED).
unshelve_instance: on the host the conductor chose, bind the ports, spawn from the shelved
image and delete that image.
"""

from __future__ import annotations

import logging
import time

from minicloud.compute import driver as virt
from minicloud.common.clients import ServiceError
from minicloud.common.timeutils import isotime

LOG = logging.getLogger(__name__)
SHELVE_KEYS = ("shelved_at", "shelved_image_id", "shelved_host")


class ShelveManager:
    # -- createImage ------------------------------------------------------------------------
    def snapshot_instance(self, ctx, instance: dict, image_id: str):
        start, event = time.time(), "compute_snapshot_instance"
        with self._locks[instance["id"]]:
            try:
                self._upload_snapshot(ctx, instance, image_id, "image_pending_upload",
                                      "image_uploading")
            except Exception as exc:  # noqa: BLE001 - no half-made image stays behind
                self._drop_image(image_id)
                self._update(ctx, instance, event=self._event(event, "Error", str(exc), start),
                             task_state=None)
                return
            self._update(ctx, instance, event=self._event(event, start=start), task_state=None)

    def _upload_snapshot(self, ctx, instance, image_id, pending: str, uploading: str) -> None:
        self._update(ctx, instance, task_state=pending)
        with self._driver("snapshot", instance):
            data = self.driver.snapshot(instance)
        self._update(ctx, instance, task_state=uploading)
        self.images.upload(image_id, data)

    def _drop_image(self, image_id: str | None) -> None:
        try:
            if image_id:
                self.images.delete(image_id)
        except ServiceError as exc:
            LOG.warning("%s: image %s not deleted: %s", self.host, image_id, exc)

    # -- shelve -----------------------------------------------------------------------------
    def shelve_instance(self, ctx, instance: dict, image_id: str | None, offload: bool):
        start, event = time.time(), "compute_shelve_instance"
        with self._locks[instance["id"]]:
            try:
                if self.driver.power_state(instance) != virt.SHUTDOWN:
                    with self._driver("power_off", instance):
                        self.driver.power_off(instance)
                if image_id:
                    self._upload_snapshot(ctx, instance, image_id,
                                          "shelving_image_pending_upload",
                                          "shelving_image_uploading")
            except Exception as exc:  # noqa: BLE001 - the server stays where it was
                self._drop_image(image_id)
                self._update(ctx, instance, event=self._event(event, "Error", str(exc), start),
                             task_state=None, power_state=self.driver.power_state(instance))
                return
            meta = {**instance["system_metadata"], "shelved_at": isotime(time.time()),
                    "shelved_image_id": image_id, "shelved_host": self.host}
            instance = self._update(
                ctx, instance, event=self._event(event, start=start), vm_state="shelved",
                power_state=virt.SHUTDOWN, system_metadata=meta,
                task_state="shelving_offloading" if offload else None)
        if offload and instance is not None:
            self.shelve_offload_instance(ctx, instance)

    def shelve_offload_instance(self, ctx, instance: dict):
        start = time.time()
        with self._locks[instance["id"]]:
            with self._driver("destroy (shelve offload)", instance):
                self._safe_destroy(instance)
            try:
                self._bind_ports(instance, "")  # the ports stay, bound to no host
            except ServiceError as exc:
                LOG.warning("%s: ports of %s not unbound: %s", self.host, instance["id"], exc)
            self.conductor.call(ctx, "shelve_offloaded", instance_id=instance["id"],
                                updates={"vm_state": "shelved_offloaded", "task_state": None,
                                         "power_state": virt.NOSTATE},
                                event=self._event("compute_shelve_offload_instance",
                                                  start=start))

    def unshelve_instance(self, ctx, instance: dict, image_id: str | None):
        start, event = time.time(), "compute_unshelve_instance"
        with self._locks[instance["id"]]:
            try:
                self._unshelve(ctx, instance, image_id)
            except Exception as exc:  # noqa: BLE001 - back on the shelf, nothing held
                LOG.warning("%s: unshelve of %s failed: %s", self.host, instance["id"], exc)
                self._safe_destroy(instance)
                self.conductor.call(ctx, "shelve_offloaded", instance_id=instance["id"],
                                    updates={"vm_state": "shelved_offloaded",
                                             "task_state": None},
                                    event=self._event(event, "Error", str(exc), start))
                return
            meta = {k: v for k, v in instance["system_metadata"].items()
                    if k not in SHELVE_KEYS}
            self._update(ctx, instance, event=self._event(event, start=start),
                         vm_state="active", task_state=None, power_state=virt.RUNNING,
                         system_metadata=meta)
        self._drop_image(image_id)  # Nova deletes the shelved snapshot once it is back

    def _unshelve(self, ctx, instance: dict, image_id: str | None) -> None:
        if instance["vm_state"] == "shelved" and self.driver.power_state(instance):
            with self._driver("power_on", instance):
                self.driver.power_on(instance)
            return
        self._bind_ports(instance, self.host)
        ref = image_id or instance["image_ref"]
        image = self.images.get(ref) if ref else {}
        bdms = self.conductor.call(ctx, "block_device_mappings", instance_id=instance["id"])
        for bdm in bdms:  # volumes attached while it was offloaded are only reserved
            try:
                self.connect_volume(bdm)
            except ServiceError:
                pass  # connected before it was shelved: Cinder keeps that attachment
        self._update(ctx, instance, task_state="spawning")
        with self._driver("spawn (unshelve)", instance) as span:
            self.driver.spawn(instance, image, instance["network_info"],
                              block_device_info=bdms)
            span.attrs["note"] = f"{instance['name']} unshelved on {self.host}"
