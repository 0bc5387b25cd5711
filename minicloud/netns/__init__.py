"""Real networking for the netns (and later Docker) modes: Linux network namespaces,
bridges, veth pairs and VXLAN, made with pyroute2 (netlink) and the kernel's own tools.

    plumbing.py   a namespace with its netlink handle, veth pairs, bridges, addresses

Everything here needs root (CAP_NET_ADMIN) and Linux; nothing here is used by the
in-process and processes modes, whose data plane is simulated.
"""
