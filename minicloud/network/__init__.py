"""Neutron (network v2.0, port 9696): networks, subnets, IPAM, ports, routers, floating
IPs, security groups, quotas and the agents of the network and compute nodes.

The files in the order a request passes them (`openstack port create ...`):

    api.py          the route table (the table of contents), Keystone auth, NeutronError
    networks.py subnets.py ports.py routers.py router_interfaces.py floatingips.py
    security_groups.py security_group_rules.py quotas.py agents.py
                    one module per resource (`/v2.0/agents` is agents.py): responders,
                    rules and the resource's view
    schemas.py      which attributes each resource accepts (those of the listed extensions)
    attributes.py   neutron-lib's value checks: MACs, addresses, nameservers, address pairs
    core.py         `Neutron`, the facade the resources share: config, store, notifiers,
                    RPC, and the shared rules (visibility, errors, quotas, default groups)
    bulk.py         `{"networks": [...]}`: all or none, in one transaction
    ipam.py         race-free address allocation
    store.py        network.db: all of Neutron's SQL, as named methods
    views.py        the fields every resource has, list filters, limit/marker paging
    notifier.py     after the commit, neutron-server -> agents RPC messages
    nova_notifier.py  neutron-server -> Nova: a server's ports changed (external events)
    dataplane/      the agents (L3, DHCP, Linux bridge) with a simulated data plane
    rpc_callbacks.py  agents -> neutron-server RPC: heartbeats, ports wired (ACTIVE)
    bootstrap.py    at first start, DevStack's `public`, `private`, `router1`

LIMITATIONS compared with real Neutron:
- The data plane is simulated in-process: agents record the bridges, VXLAN interfaces,
  namespaces, NAT rules and DHCP entries they would configure; no packet moves.
- Only `vxlan` tenant networks and `flat` provider networks (physnet `public`); no VLAN,
  GRE, Geneve, segments or multi-provider networks. One L3 and one DHCP agent (no
  scheduling, HA or DVR routers).
- No subnet pools, address scopes, IPv6 RA/address modes, DNS integration, QoS, trunks,
  port forwardings, RBAC policies, tags, extra routes, availability zones, or
  external-gateway-multihoming. Their extensions are not listed, so their attributes
  (`dns_name`, `qos_policy_id`, `tags`, `routes`, ...) neither appear in responses nor
  are accepted: 400 "Unrecognized attribute(s)", as in a Neutron without them.
- A subnet's CIDR cannot change, and its gateway must lie inside the CIDR (Neutron also
  accepts one outside it).
- Floating IPs cannot be created in bulk (every other resource can, all or none).
- A port's MAC address cannot change (Neutron lets an admin change it on an unbound port).
- Security group rules are stored and validated but not enforced (nothing to filter).
- Quotas are checked when a resource is created (no reservations).
- A listing by `name` of security groups is scoped to the caller's project even for an
  admin (real Neutron lists every project's `default` to an admin).
- Filters are exact matches on any attribute; unknown filters are ignored; paging by
  limit/marker only, with no `next` links; no sorting.
"""
