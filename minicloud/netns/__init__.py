"""Real networking for the netns (and later Docker) modes: Linux network namespaces,
bridges, veth pairs and VXLAN, made with pyroute2 (netlink) and the kernel's own tools.

    plumbing.py   a namespace with its netlink handle, veth pairs, bridges, addresses
    fabric.py     the plan's nodes as namespaces, its four networks as host bridges
    relay.py      the broker on the host's loopback, reachable from the namespaces
    launcher.py   `minicloud up --mode netns`: the processes mode inside the fabric

Everything here needs root (CAP_NET_ADMIN) and Linux; nothing here is used by the
in-process and processes modes.
"""
