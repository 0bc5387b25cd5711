"""Cinder, the block storage service (block-storage API v3 on port 8776).

A volume is a record in `volume.db` plus a sparse file of its size on a storage node
(`<data dir>/storage/storage1/cinder-volumes/`, which the node exports as an NFS share). cinder-api (the routes) records it
`creating` and casts it to cinder-scheduler, which picks a storage node and casts to that
node's cinder-volume; the node makes the file (empty, from a Glance image, a snapshot or
another volume) and reports `available` or `error` back to cinder-api over RPC. Nova
attaches a volume through the v3 attachments API: the connection info is that of Cinder's
NFS driver, the share and the file's name on it (the compute host mounts the share).

The files in the order a request passes them:

    api.py           the route table, `create_app` and the error format; the token is
                     checked first (common/auth.py)
    microversions.py `OpenStack-API-Version: volume 3.x`; both URL forms (with/without project)
    schemas.py       what a request body may hold
    volumes.py snapshots.py types.py attachments.py quotas.py services.py extensions.py
                     one per noun (services.py also answers the availability zones)
    core.py          `Cinder`, what they all work on: config, store, RPC clients, Glance
                     (common/clients.py); visibility, quotas, Cinder's error wording
    store.py         every SQL statement, one named method each (the quota limits'
                     statements are common/quota_store.py's)
    views.py         how each resource is rendered, per microversion and caller
    scheduler.py     cinder-scheduler (capacity filter and weigher)
    manager.py       cinder-volume on a storage node; backend.py its backend (files on a share)
    reports.py       what cinder-volume and the scheduler report back to cinder-api
    recovery.py      at start: what a crash left half-way is settled or sent again

LIMITATIONS compared with real Cinder:
- One backend kind, files on the storage node's disk shared as an NFS-style export (no
  LVM/iSCSI, Ceph); on one machine the compute host's "mount" is a symlink to the
  directory, no NFS server runs and mount options are ignored. No pools beyond one per
  node, no multi-backend per node, no volume migration or retype.
- cinder-volume reports outcomes to cinder-api over RPC instead of writing the database.
- No backups, groups/consistency groups, transfers, QoS specs, encryption, multiattach,
  manage/unmanage, replication, messages, availability zones other than `nova`.
- Only the v3 attachments API (3.27+) attaches volumes; the legacy os-reserve /
  os-initialize_connection / os-attach actions are not served. os-update_readonly_flag
  validates its argument and changes nothing.
- Quotas are checked when a resource is created (no reservations). Per-volume-type quota
  lines are shown, always -1, and cannot be set.
- Volume types are labels: extra specs are stored, never used for scheduling.
- Snapshots are full (sparse) copies of the volume's file, not copy-on-write.
- Filters: name, status, bootable, availability_zone, metadata; no `like` filters,
  no sorting other than newest first.
"""
