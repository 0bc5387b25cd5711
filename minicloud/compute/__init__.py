"""Nova (compute v2.1): flavors, key pairs and servers, and the machinery that puts a
server on a compute host.

    CLI --HTTP--> nova-api --cast--> nova-conductor --call--> nova-scheduler
                                          |  (claims the chosen host's resources)
                                          +--cast--> nova-compute@computeN --> Glance, Neutron
                                                          |                    (REST, nova token)
                                                          +--> driver (fake) spawn
                                          <--call-- state updates (networking, spawning, active)

Modules: api (routes), microversions, views, schemas, store (compute.db), one module per
resource (servers, server_actions, flavors, keypairs, hypervisors, services, quotas),
clients (Glance/Neutron REST), conductor, scheduler (+ filters, weighers), manager (the
compute manager and the running compute host), driver (interface + fake driver).

LIMITATIONS compared with real Nova:
- One cell, one region, one availability zone (`nova`); no cells v2, no Placement service:
  the conductor claims resources in compute.db under a lock, and sends host states to the
  scheduler with each request (Nova's scheduler reads them from the DB and Placement).
- Host heartbeats and resource reports travel untraced on their own RPC topic `heartbeat`.
- No resize to another flavor, rebuild, rescue, shelve, snapshots (createImage), server
  groups, tags, interface attach, floating-IP proxies, VNC consoles, flavor access lists,
  server password, config drive, metadata service, boot from volume, swap_volume or
  multiattach.
- Volume attachments (volume_attachments.py) use Cinder's attachments API as Nova does,
  but nova-api picks the device name itself (real Nova asks the compute host,
  `reserve_block_device_name`), and calls Cinder with the `nova` service token.
- Cold migration and live migration move the fake VM's state between hosts; there is no
  disk copy and no pre-checks beyond the scheduler's filters.
- Quotas are counted at create time (instances, cores, ram); there are no reservations.
- Instance actions record one event per hop; the scheduler's explanation of its choice is
  put in the event's `details` (real Nova only puts fault details there).
"""
