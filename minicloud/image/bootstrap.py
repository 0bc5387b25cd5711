"""Glance's first start: the `cirros` image every tutorial boots (DevStack uploads the real
CirrOS; minicloud makes its own, as nothing is downloaded), and clean-up after a crash.

The cirros bytes are deterministic, so every cloud has the same checksum: a qcow2 header
saying "112 MiB disk" followed by 320 KiB of pseudo-random filler. It is not a bootable
disk; minicloud's compute drivers do not need one. It is public, owned by the admin
project, and registered once: delete it and it stays deleted.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid

from minicloud.common.clients import IdentityClient
from minicloud.image.core import Glance

CIRROS_NAME = "cirros"
CIRROS_VIRTUAL_SIZE = 112 * 1024 * 1024
FILLER_BYTES = 320 * 1024


def cirros_bytes() -> bytes:
    header = struct.pack(">4sIQIIQIIQQII", b"QFI\xfb", 2, 0, 0, 16, CIRROS_VIRTUAL_SIZE,
                         0, 2, 3 * 65536, 65536, 1, 0)
    filler = hashlib.shake_256(b"minicloud cirros").digest(FILLER_BYTES)
    return header + bytes(512 - len(header)) + filler


def admin_project_id(service_auth) -> str:
    """The admin project's id, asked of Keystone (Glance never reads Keystone's tables)."""
    return IdentityClient(service_auth).projects(name="admin")[0]["id"]


def bootstrap(glance: Glance, owner_id) -> None:
    """`owner_id` is a callable: Keystone is asked only when cirros is still to be made."""
    store, files = glance.store, glance.files
    store.recover_uploads()
    if store.meta("cirros_registered"):
        return
    image_id = str(uuid.uuid4())
    upload = files.receive(image_id, io.BytesIO(cirros_bytes()), limit=2**31)
    files.commit(upload, image_id)
    stamp = glance.now()
    with store.transaction():
        store.insert({
            "id": image_id, "name": CIRROS_NAME, "status": "active", "visibility": "public",
            "protected": 0, "os_hidden": 0, "checksum": upload.checksum,
            "os_hash_algo": "sha512", "os_hash_value": upload.sha512, "size": upload.size,
            "virtual_size": CIRROS_VIRTUAL_SIZE, "min_disk": 0, "min_ram": 0,
            "disk_format": "qcow2", "container_format": "bare", "owner": owner_id(),
            "created_at": stamp, "updated_at": stamp, "tags": [],
            "properties": {"hw_rng_model": "virtio"}})
        store.set_meta("cirros_registered", image_id)
