"""minicloud: a small but faithful OpenStack for learning.

One process (or one process per node role) runs Keystone, Glance, Nova, Neutron, Cinder
and Swift look-alikes that the real `openstack` CLI, openstacksdk and `swift` CLI drive.
Start with `minicloud up`; the map of the code is in docs/architecture.md.
"""

__version__ = "0.1.0"
