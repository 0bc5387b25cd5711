"""Nova (compute v2.1): flavors, key pairs and servers, and the machinery that puts a
server on a compute host.

    CLI --HTTP--> nova-api --cast--> nova-conductor --call--> nova-scheduler
                                          |  (claims the chosen host's resources)
                                          +--cast--> nova-compute@computeN --> Glance, Neutron
                                                          |                    (REST, nova token)
                                                          +--> driver (fake) spawn
                                          <--call-- state updates (networking, spawning, active)

Files in the order a request passes them:
    api.py              the route table; create_app: AuthMiddleware (token) first, then
    microversions.py    the microversion (2.1 to 2.96) the request speaks
    core.py             `Nova`, the facade every resource module takes: config, store, RPC
                        clients, Glance/Neutron/Cinder clients (common/clients.py), the
                        shared rules (visibility, host state, quota limits, local delete)
    servers.py ...      one module per resource: servers, server_actions, ips, flavors,
                        keypairs, hypervisors, services, migrations, quotas, external_events,
                        interfaces, volume_attachments, boot_volumes; server actions by
                        theme: states, locking, rebuild, resize, snapshots, shelve, evacuate
    schemas.py          request bodies (read_json validates them)
    store.py            compute.db: every SQL statement of Nova, as named methods
    views.py            response bodies, per microversion
and off the HTTP path, over RPC:
    conductor.py        builds, migrations, unshelve; the only user of compute.db besides
                        nova-api; recovery.py settles what a crash cut short
    scheduler.py        picks a host (filters.py, weighers.py)
    manager.py          nova-compute on each host (manager_shelve.py, manager_interfaces.py,
                        manager_events.py, manager_evacuate.py)
    driver.py           the hypervisor interface and the fake driver
    volume_drivers.py   how a host reaches a volume's disk (mounts Cinder's NFS share)

LIMITATIONS compared with real Nova:
- One cell, one region, one availability zone (`nova`); no cells v2, no Placement service:
  the conductor claims resources in compute.db under a lock, and sends host states to the
  scheduler with each request (Nova's scheduler reads them from the DB and Placement).
- Host heartbeats and resource reports travel untraced on their own RPC topic `heartbeat`.
- No rescue, backup (createBackup), server groups, tags, floating-IP proxies,
  VNC consoles, flavor access lists, server password, config drive, metadata service,
  swap_volume or multiattach.
- Server actions (docs/services/nova.md, "Server actions"): resize never stays on the same
  host (Nova's default allow_resize_to_same_host=False) and is never auto-confirmed; a
  smaller root disk is refused by the API (Nova's driver fails it on the host); a resize
  is counted against the quota at once, not reserved. Rebuild of a volume-backed server
  takes only its original image (no 2.93 reimage); snapshots are the fake driver's small
  qcow2 (its header gives the flavor's disk as virtual size); booting the snapshot image
  of a volume-backed server restores only its root volume. A locked server still lets
  non-admins change its metadata (Nova refuses that too).
- Boot from volume: only the boot device (boot_index 0) in block_device_mapping_v2, with
  source `volume` or `image` (destination `volume`); no blank, snapshot, swap or
  ephemeral mappings, no extra volumes at create. The boot volume's host claim still
  counts the flavor's disk.
- Volume attachments (volume_attachments.py) use Cinder's attachments API as Nova does,
  but nova-api picks the device name itself (real Nova asks the compute host,
  `reserve_block_device_name`), and calls Cinder with the `nova` service token.
- Cold migration and live migration move the fake VM's state between hosts; there is no
  disk copy and no pre-checks beyond the scheduler's filters, and the destination does
  not mount the volumes' share (Nova's pre_live_migration connects them there).
- Volumes: only Cinder's `nfs` connection info is connected (volume_drivers.py); the
  "mount" is a symlink on one machine and is never unmounted.
- Evacuate: instance files are never on shared storage (`onSharedStorage: true` before
  2.14 fails on the host, as Nova's InvalidSharedStorage); the new host deletes a volume's
  old Cinder attachment before it makes its own (Nova makes the new one first).
- Quotas are counted at create time (instances, cores, ram); there are no reservations.
- Instance actions record one event per hop; the scheduler's explanation of its choice is
  put in the event's `details` (real Nova only puts fault details there).
- External events (external_events.py, the host's side in manager_events.py):
  `network-changed` and `network-vif-deleted` refresh the network info cache; the others
  are accepted and only logged. Neutron sends them at once, not batched a moment later.
- Response bodies follow Nova's per microversion (docs/services/nova.md, "Response-shape
  audit"), with `tags`, `server_groups`, `trusted_image_certificates` always empty; the
  nova-network quotas are shown until 2.36 but enforce nothing; no pagination links for
  hypervisors or migrations.
"""
