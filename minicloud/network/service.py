"""Where Neutron runs: neutron-server (the API and the RPC endpoints its agents call) on
the controller; the L3, DHCP and Linux bridge agents on the network node; a Linux bridge
agent on each compute node. The in-process launcher keeps the agents by name in
`runtime.agents` (`"network-l3"`, `"compute2-bridge"`) so tests can stop one."""

from __future__ import annotations

# The imports are in the role functions: a node's process loads only what its role runs.


def controller(node):
    """neutron-server: its RPC endpoints, DevStack's networks (bootstrap.py), the API."""
    from minicloud.network import api, bootstrap, rpc_callbacks
    from minicloud.network.core import Neutron
    from minicloud.network.notifier import Notifier
    from minicloud.network.nova_notifier import NovaNotifier
    from minicloud.network.store import NetworkStore

    config, runtime = node.config, node.runtime
    store = NetworkStore(config.path("network.db"))
    notifier = Notifier(store, node.transport, node.tracer, timeout=config.rpc_quick_timeout)
    neutron = Neutron(config, store, notifier, transport=node.transport, tracer=node.tracer,
                      nova_notifier=NovaNotifier(  # external events
                          runtime.service_auth("network"), config.http_timeout))
    node.keep(rpc_callbacks.start_plugin_rpc(neutron))
    projects = bootstrap.project_ids(runtime.service_auth("network"), config.http_timeout)
    bootstrap.bootstrap(neutron, projects, say=node.say)
    return api.create_app(neutron, node.tracer, runtime.token_validator("network"))


def agents(node):
    """The network node: routers (L3), DHCP, and the bridges with their VXLAN tunnels and
    the external interface. A compute node: the bridge its servers' ports plug into."""
    from minicloud.network import dataplane

    made = dataplane.agents_for(node.spec, node.config, node.transport, node.tracer)
    node.keep(_Machine([agent.wiring for agent in made.values()]))  # stopped last
    for name, agent in made.items():
        node.runtime.agents[name] = node.keep(agent.start())


class _Machine:
    """What goes with the node's machine when the node stops: the DHCP servers and router
    namespaces its agents made (Neutron's agents leave them running when only the agent
    restarts; here the node is down). Simulated wirings have nothing to remove."""

    def __init__(self, wirings: list):
        self.wirings = [w for w in wirings if hasattr(w, "remove_all")]

    def stop(self) -> None:
        for wiring in self.wirings:
            wiring.remove_all()

    def start(self) -> None:
        pass  # the agents' full sync makes it all again


PARTS = {"controller": controller, "network": agents, "compute": agents}
