"""Swift (object storage v1): a proxy on port 8080, a ring, and three storage nodes.

A request's path: the `swift` CLI or `openstack object ...` -> the proxy (a transaction
id, the token, the account `AUTH_<project_id>`, names and metadata checked) -> for
accounts and containers, their listings in one SQLite database; for objects, the ring
names the three devices of the object's partition and the proxy writes to all of them at
once, answering when two have it, or reads from the first that has it -> each storage
node's object server (its own port and directory). The replicator copies what a node is
missing, so a node that was down or lost its disk catches up.

    api.py          the route table; Swift's transaction id, then the token
    constraints.py  what Swift refuses first: names, header and metadata limits, ACL and
                    quota syntax, listing parameters (other services' schemas.py)
    core.py         `Swift`, what every resource works on (the store, the object
                    controller, the replicator, the storage nodes, the expirer); whose
                    account a request may use
    accounts.py     `/v1/<account>` and `/v1/<account>/<container>`: counts, metadata,
                    listings
    expirer.py      X-Delete-At / X-Delete-After, and the pass run before a listing
    objects.py      `/v1/<account>/<container>/<object>`: PUT, GET, HEAD, POST, DELETE
    copies.py       server-side copy (COPY, X-Copy-From)
    store.py        `object.db`: accounts, containers and their object listings (all SQL)
    views.py        how Swift shows things: timestamps, text and JSON listings
    proxy.py        the object controller: a request to the replicas' object servers,
                    quorum for writes
    ring.py         partition -> devices, in `ring.json`
    storage.py      a storage node's object server (its own app and port)
    conditions.py   its conditional and range answers (304, 412, 206, 416)
    diskfile.py     its files: `.data` and `.ts`, metadata in an xattr, spare files
    replicator.py   off the request path: brings every partition's replicas up to date
    nodes.py        the operator's reach to the storage nodes over RPC (stop, start,
                    wipe, status), and where a node says which port it listens on
    service.py      which of these run on the controller, which on a storage node

LIMITATIONS compared with real Swift:
- Accounts and containers are rows in one SQLite database on the controller, not
  replicated databases on account/container servers; there is one storage policy
  (`Policy-0`, 3 replicas) and no erasure coding.
- Storage nodes hold objects only. Each node has one device; the ring has no zones or
  regions beyond "one node, one zone" and no rebalance history (`minicloud ring build`
  makes a new one); there are no handoff nodes: a write with one node down lands on two
  nodes and the replicator fills in the third later.
- The replicator compares per-object timestamps over HTTP (no suffix hashes, no rsync)
  and copies whole objects; tombstones are never reclaimed.
- The object server's URL is `/<device>/<partition>/<hash>` (the proxy computes the
  hash and sends the name in a header); metadata is JSON in one xattr (a `.meta` file
  where xattrs are missing or too small for it), not Swift's pickle; files are not
  fsynced. A chunked PUT (no Content-Length) is received whole by the proxy (memory up
  to 4 MiB, else a temporary file) before it is sent to the replicas, and so is a
  server-side copy (COPY, X-Copy-From); a PUT with a Content-Length is streamed to them,
  as in Swift.
  Small replaced files are kept as spares and overwritten by later writes (see
  diskfile.py); the proxy and the object servers run on minicloud's own small HTTP
  server (common/nodeserver.py: a thread per connection, as eventlet serves Swift).
- Expiring objects (X-Delete-At/-After) 404 from the second they expire; there is no
  expirer daemon: the pass that deletes them and drops them from the listings runs
  when their container or account is listed or HEADed, or the container deleted
  (expirer.py).
- ACLs are checked for syntax (400 as Swift) and kept and shown (`X-Container-Read`,
  `X-Container-Write`, `X-Account-Access-Control`) but not enforced: only the account's
  own project, or an admin, may use an account. `X-Versions-Location` and
  `X-History-Location` are checked and then ignored (no versioning). Container quotas
  (`X-Container-Meta-Quota-Bytes`/`-Count`) are enforced (413) as Swift's
  container_quotas middleware does; account quotas are not.
- Not implemented: large objects (no slo or dlo middleware: a `?multipart-manifest=put`
  or `X-Object-Manifest` write is refused with 400, so `swift upload -S` fails loudly
  instead of storing a manifest that reads back as the wrong bytes), versioning, TempURL/
  FormPost, bulk operations, XML listings, container sync, account quotas, COPY's
  `heartbeat` and `multipart-manifest=get`. Object names containing a `.` or `..` path
  segment are refused (400); real Swift accepts them.
- Reads after an overwrite while a node was down may return the older copy until the
  replicator has run (real Swift behaves the same way: eventual consistency).
"""
