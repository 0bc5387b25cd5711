"""Glance, the image service (image API v2 on port 9292).

An image is a record in `image.db` (name, formats, visibility, owner, checksums, extra
properties, tags) plus, once uploaded, one file of bytes under the data directory's
`images/` folder. Its life cycle is `queued` (record only) -> `saving` (bytes arriving)
-> `active` (bytes stored, size and hashes known); the owner or an admin may take an
active image out of service (`deactivated`: only admins download it) and back. Nova and
Cinder download images from here, with the user's token, like any other client.

The files, in the order a request passes them:

    api.py          the route table, Glance's error format, exact paths, bodyless methods
    images.py listing.py data.py tags.py actions.py schemadocs.py
                    one per resource: the records (create, show, set, delete), `GET /v2/images`
                    (filters, sort orders, pages), the bytes (upload, download),
                    tags, deactivate/reactivate, the `/v2/schemas/...` documents
    schemas.py      request validation; patch.py the JSON-patch documents (`image set`)
    quotas.py       the per-image limits (extra properties, tags)
    core.py         `Glance`, what every resource works on: who sees and changes which
                    image, and Glance's shared error wording
    store.py        `image.db`, all of Glance's SQL; files.py the image files
    views.py        how an image is rendered
    bootstrap.py    first start: the `cirros` image, uploads a crash cut short

LIMITATIONS compared with real Glance:
- One store, the local file system (glance_store's `file` driver); no multiple stores,
  no `locations`/`direct_url`, no web-download or interoperable import
  (`/v2/images/{id}/import`, `/v2/info/import` and `/v2/info/stores` are not served);
  a JSON patch of `/locations` or `/stores` is a 403.
- No image members: a `shared` image is visible only to its owner (and admins), as a
  private one is; `/v2/images/{id}/members` is not served (the member schemas are), and
  `member_status` is checked but filters nothing.
- No tasks or metadefs (nor their schemas), no `killed`, `pending_delete`, `importing` or
  `uploading` statuses, no delayed delete, no image cache, no property protections, no
  Keystone unified-limits quotas: the limits are one size per image
  (`Config.image_size_limit`) and Glance's per-image defaults, 128 extra properties and
  128 tags.
- Downloads have no `Range` support.
- A `next` link keeps repeated query parameters (`tag=a&tag=b`); Glance's keeps only the
  last one of each, which changes the filter on the next page.
- `virtual_size` is read from the header of qcow2 data only; image data is otherwise not
  inspected (real Glance's format inspector checks and can reject it).
- Errors are always JSON (`{"message", "code", "title"}`); real Glance answers some of
  them in HTML or plain text. A path that matches no route is a 404 even without a token
  (Glance's keystonemiddleware answers 401 first).
"""
