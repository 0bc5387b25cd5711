"""`/v2/images/{image_id}/file`: the image's bytes (`openstack image create --file`,
`image save`; nova-compute downloads here too).

Upload: `queued -> saving -> active`. The body (Content-Length or chunked; waitress
de-chunks it) is streamed into a temporary file in 1 MiB chunks, hashed as it is written
(md5 `checksum`, sha512 `os_hash_value`), and renamed to the image's file only when it is
complete and of the announced size (`X-Openstack-Image-Size`). Anything else (too large,
wrong size, the client gone, the disk full) discards the bytes and puts the image back to
`queued`, so the same upload can simply be tried again. A full disk (ENOSPC, EDQUOT,
EFBIG) is a 413 "Image storage media is full" and a store the server may not write to a
503, as glance_store's file driver and Glance answer.
Download streams the file back in chunks; an image without data answers 204, and a
deactivated image's data is for admins only (403).
"""

from __future__ import annotations

import errno
import struct

import falcon

from minicloud.common import errors
from minicloud.image.core import Glance
from minicloud.image.files import BodyReader, Incomplete, TooLarge, Upload

QCOW2_MAGIC = b"QFI\xfb"
# What a write says when the store has no room left (glance_store's StorageFull).
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class ServiceUnavailable(errors.ApiError):
    status, title, kind = falcon.HTTP_503, "Service Unavailable", "serviceUnavailable"


def virtual_size(disk_format: str | None, upload: Upload) -> int | None:
    """The disk size a server sees: a qcow2 header says it; a raw image is its own size."""
    if disk_format == "qcow2" and upload.head[:4] == QCOW2_MAGIC and len(upload.head) >= 32:
        return struct.unpack(">Q", upload.head[24:32])[0]
    if disk_format == "raw":
        return upload.size
    return None


def _too_large(limit: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"Image exceeds the storage quota: the size limit of an "
                                  f"image is {limit} bytes.")


def _store_error(exc: OSError) -> Exception:
    """The answer to a write the file store refused: Glance's, for a full or locked disk."""
    if exc.errno in DISK_FULL:
        return errors.PayloadTooLarge("Image storage media is full: There is not enough "
                                      "disk space on the image storage media.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ServiceUnavailable("Insufficient permissions on image storage media: "
                                  "Permission to write image storage media denied.")
    return exc  # anything else is a bug or worse: a 500, logged


class ImageData:
    bodyless = frozenset({"GET"})

    def __init__(self, glance: Glance):
        self.glance = glance
        self.store = glance.store
        self.files = glance.files
        self.limit = glance.image_size_limit

    def on_put(self, req, resp, image_id):
        image = self.glance.owned(req.context.ctx, image_id, "upload data to")
        media_type = (req.content_type or "application/octet-stream").split(";")[0].strip()
        if media_type != "application/octet-stream":
            raise errors.BadRequest(f"Image data must be sent as application/octet-stream, "
                                    f"not {media_type}.")
        expected = self._announced_size(req)
        if max(expected or 0, req.content_length or 0) > self.limit:
            raise _too_large(self.limit)
        if not self.store.move_status(image_id, "queued", "saving", updated_at=self.glance.now()):
            status = (self.store.image(image_id) or image)["status"]
            raise errors.Conflict(f"Image {image_id} is {status}: data can only be uploaded "
                                  f"once, to a queued image.")
        upload = self._receive(image_id, req)
        if expected is not None and upload.size != expected:
            self._abandon(image_id, upload)
            raise errors.BadRequest(f"Image size mismatch: {upload.size} bytes arrived, "
                                    f"X-Openstack-Image-Size announced {expected}.")
        self._activate(image, upload)
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, image_id):
        ctx = req.context.ctx
        image = self.glance.visible(ctx, image_id)
        if image["status"] == "deactivated" and not ctx.is_admin:
            raise errors.Forbidden("The requested image has been deactivated. Image data "
                                   "download is forbidden.")
        path = self.files.path(image_id)
        if image["status"] not in ("active", "deactivated") or not path.exists():
            resp.status = falcon.HTTP_204  # no data (yet): what Glance answers
            return
        resp.content_type = "application/octet-stream"
        resp.content_length = image["size"]
        resp.set_header("Content-MD5", image["checksum"])
        resp.stream = self.files.open(image_id)  # a file: waitress sends it piece by piece

    # -- upload steps ------------------------------------------------------------------------
    @staticmethod
    def _announced_size(req) -> int | None:
        raw = req.get_header("X-Openstack-Image-Size")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise errors.BadRequest(f"X-Openstack-Image-Size must be an integer, "
                                    f"not {raw!r}.") from None

    def _receive(self, image_id: str, req) -> Upload:
        try:
            body = BodyReader(req.stream, req.content_length or 0)
            return self.files.receive(image_id, body, self.limit)
        except TooLarge:
            self._abandon(image_id)
            raise _too_large(self.limit) from None
        except Incomplete as exc:
            self._abandon(image_id)
            raise errors.BadRequest(f"The image data was cut short: {exc}.") from None
        except OSError as exc:
            self._abandon(image_id)
            raise _store_error(exc) from None
        except BaseException:  # the client went away, the server stopping, ...
            self._abandon(image_id)
            raise

    def _abandon(self, image_id: str, upload: Upload | None = None) -> None:
        if upload is not None:
            self.files.discard(upload)
        self.store.move_status(image_id, "saving", "queued", updated_at=self.glance.now())

    def _activate(self, image: dict, upload: Upload) -> None:
        image_id = image["id"]
        with self.store.transaction():
            current = self.store.image(image_id)
            if current is None or current["status"] != "saving":
                self.files.discard(upload)
                raise errors.Conflict(f"Image {image_id} was deleted during the upload.")
            try:
                self.files.commit(upload, image_id)
                self.store.update(image_id, {
                    "status": "active", "size": upload.size, "checksum": upload.checksum,
                    "os_hash_algo": "sha512", "os_hash_value": upload.sha512,
                    "virtual_size": virtual_size(current["disk_format"], upload),
                    "updated_at": self.glance.now()})
            except BaseException:
                self.files.delete(image_id)
                self.files.discard(upload)
                raise
