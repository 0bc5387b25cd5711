"""Boot from volume: `block_device_mapping_v2` on server create (`openstack server create
--volume v1 ...`, or `--image cirros --boot-from-volume 1 ...`).

nova-api reads the boot device (boot_index 0) and checks it with the caller's token:
- source `volume`, destination `volume`: the volume must be `available`; nova-api reserves
  it in Cinder (attachment create, status `reserved`) and records the mapping at /dev/vda.
- source `image`, destination `volume` (+ `volume_size`): the image must be active and
  fit; the compute host creates the volume from it in Cinder (with the user's token, so
  the volume belongs to the user's project), waits until it is `available`, attaches it.
- source `image`, destination `local`: an ordinary boot from an image.
- no mapping, but an image with `block_device_mapping` (the snapshot of a volume-backed
  server, snapshots.py): the host creates the boot volume from the image's root snapshot.
The compute host then gives Cinder its connector and completes the attachment (volume
`in-use`) before the driver spawns the guest on it (manager.prep_block_devices). The
server's `image` is "" (volume-backed); `delete_on_termination` is honoured at delete.
"""

from __future__ import annotations

import json

from minicloud.common import errors
from minicloud.common.clients import ServiceError
from minicloud.compute.store import new_uuid

GB = 1024 ** 3


def _root(body: dict) -> dict | None:
    bdms = body.get("block_device_mapping_v2") or []
    if not all(isinstance(b, dict) for b in bdms):
        raise errors.BadRequest("Invalid input for field/attribute block_device_mapping_v2: "
                                "each item must be an object")
    roots = [b for b in bdms if str(b.get("boot_index")) == "0"]
    others = [b for b in bdms if str(b.get("boot_index")) != "0"]
    if len(roots) > 1:
        raise errors.BadRequest("Boot sequence for the instance and image/block device "
                                "mapping combination is not valid.")
    if others:
        raise errors.BadRequest("Only the boot device (boot_index 0) may be given in "
                                "block_device_mapping_v2 on this cloud; attach more volumes "
                                "once the server is ACTIVE.")
    return roots[0] if roots else None


def check(api, ctx, body: dict, count: int) -> dict | None:
    """The boot volume request, checked; None for a boot from an image onto local disk."""
    root = _root(body)
    if root is None:
        return None
    source = root.get("source_type")
    dest = root.get("destination_type") or ("volume" if source == "volume" else "local")
    on_delete = bool(root.get("delete_on_termination"))
    if source == "image" and dest == "local":
        return None
    if source == "volume" and dest == "volume":
        if count > 1:
            raise errors.BadRequest("Cannot attach one or more volumes to multiple instances")
        volume = _volume(api, ctx, root.get("uuid"))
        image = volume.get("volume_image_metadata") or {}
        return {"source": "volume", "volume_id": volume["id"], "delete_on_termination": on_delete,
                "image_id": image.get("image_id"), "image": {}}
    if source == "image" and dest == "volume":
        image = _image(api, ctx, root.get("uuid"))
        size = _size(root.get("volume_size"), image)
        return {"source": "image", "image_id": image["id"], "size": size,
                "delete_on_termination": on_delete, "image": image}
    raise errors.BadRequest(f"Block device mapping with source_type {source!r} and "
                            f"destination_type {dest!r} is not supported by this cloud.")


def from_image(image: dict, boot: dict | None, ref: str) -> tuple[dict | None, str]:
    """An image made by createImage of a volume-backed server carries block device
    mappings (`bdm_v2`, `block_device_mapping`): booting it boots from a new volume made
    from its root snapshot, as in Nova. Anything else boots as it is."""
    if boot is not None or str(image.get("bdm_v2")).lower() != "true":
        return boot, ref
    try:
        mappings = json.loads(image.get("block_device_mapping") or "[]")
        root = next(m for m in mappings if str(m.get("boot_index")) == "0")
        return {"source": "snapshot", "snapshot_id": root["snapshot_id"],
                "size": int(root.get("volume_size") or 1), "image_id": None, "image": {},
                "delete_on_termination": bool(root.get("delete_on_termination"))}, ""
    except (ValueError, TypeError, KeyError, StopIteration, AttributeError):
        raise errors.BadRequest(f"Image {image.get('id')} has invalid block device "
                                f"mappings.") from None


def _volume(api, ctx, volume_id) -> dict:
    if not volume_id:
        raise errors.BadRequest("Block Device Mapping is Invalid: a volume needs its uuid.")
    try:
        volume = api.volumes.get(str(volume_id), token=ctx.auth_token)
    except ServiceError as exc:
        if exc.status == 404:
            raise errors.BadRequest(f"Block Device Mapping is Invalid: failed to get volume "
                                    f"{volume_id}.") from None
        raise errors.ApiError(f"Cinder answered {exc.status}: {exc}") from None
    if volume.get("status") != "available":
        raise errors.BadRequest(f"Invalid volume: volume '{volume_id}' status must be "
                                f"'available'. Currently in '{volume.get('status')}'")
    return volume


def _image(api, ctx, image_id) -> dict:
    try:
        image = api.images.get(str(image_id or ""), token=ctx.auth_token)
    except ServiceError:
        raise errors.BadRequest(f"Block Device Mapping is Invalid: failed to get image "
                                f"{image_id}.") from None
    if image.get("status") != "active":
        raise errors.BadRequest(f"Image {image_id} is not active.")
    return image


def _size(value, image: dict) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest("Images with destination_type 'volume' need to have a "
                                "non-zero size specified") from None
    if size <= 0:
        raise errors.BadRequest("Images with destination_type 'volume' need to have a "
                                "non-zero size specified")
    minimum = max(image.get("size") or 0, (image.get("min_disk") or 0) * GB)
    if size * GB < minimum:
        raise errors.BadRequest(f"Volume is smaller than the minimum size specified in "
                                f"image metadata. Volume size is {size * GB} bytes, minimum "
                                f"size is {minimum} bytes.")
    return size


def reserve(api, ctx, instance: dict, boot: dict | None) -> None:
    """Remember the boot volume request; reserve an existing volume in Cinder now."""
    if boot is None:
        return
    request = {k: boot[k] for k in ("source", "image_id", "snapshot_id", "size",
                                    "delete_on_termination") if k in boot}
    api.store.update_instance(instance["id"], system_metadata={
        **instance.get("system_metadata", {}), "boot_volume": request,
        "image_id": boot.get("image_id")})
    if boot["source"] != "volume":
        return  # the compute host creates it
    try:
        attachment = api.volumes.attachment_create(boot["volume_id"], instance["id"])
    except ServiceError as exc:
        api.store.update_instance(instance["id"], deleted=1, vm_state="deleted")
        raise errors.BadRequest(f"Invalid volume: {exc}") from None
    api.store.add_bdm({"uuid": new_uuid(), "instance_id": instance["id"],
                       "volume_id": boot["volume_id"], "attachment_id": attachment["id"],
                       "device_name": "/dev/vda", "tag": None,
                       "delete_on_termination": int(boot["delete_on_termination"])})
