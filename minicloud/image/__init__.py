"""Glance, the image service (image API v2 on port 9292).

An image is a record in `image.db` (name, formats, visibility, owner, checksums, extra
properties, tags) plus, once uploaded, one file of bytes under the data directory's
`images/` folder. Its life cycle is `queued` (record only) -> `saving` (bytes arriving)
-> `active` (bytes stored, size and hashes known). `nova-compute` downloads images from
here, with a token, like any other client.

Modules: `api` (route table), `images` (the image records), `data` (upload and
download of the bytes), `tags`, `patch` (JSON-patch updates), `access` (who sees and
changes which image), `files` (the file store), `store` (SQLite), `schemas`, `views`,
`bootstrap` (the `cirros` image).

LIMITATIONS compared with real Glance:
- One store, the local file system (glance_store's `file` driver); no multiple stores,
  no `locations`/`direct_url`, no web-download or interoperable import
  (`/v2/images/{id}/import`, `/v2/info/import` and `/v2/info/stores` are not served).
- No image members: a `shared` image is visible only to its owner (and admins), as a
  private one is; `/v2/images/{id}/members` is not served.
- No deactivate/reactivate, no `killed`, `pending_delete`, `importing` or `uploading`
  statuses, no delayed delete, no image cache, no property protections, no quotas other
  than one size limit per image (`Config.image_size_limit`).
- Downloads have no `Range` support; `/v2/schemas/...` documents are not served.
- Listing ignores the time filters (`created_at=gte:...`, `updated_at=...`) and
  `member_status`; `in:` is supported, the other comparison operators are not.
- `virtual_size` is read from the header of qcow2 data only; image data is otherwise not
  inspected (real Glance's format inspector checks and can reject it).
- Errors are always JSON (`{"message", "code", "title"}`); real Glance answers some of
  them in HTML or plain text.
"""
