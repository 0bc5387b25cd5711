"""Glance and Neutron as the compute code sees them (clients.ImageClient/NetworkClient),
in memory: an image `cirros`, a network `private` with a subnet 10.0.0.0/24;
`with_glance_writes` lets the fake Glance take snapshots too (create, upload, delete).
Also a public key for the key-pair tests."""

from __future__ import annotations

import itertools
import threading
import uuid

from minicloud.common.clients import ServiceError

# A well-formed ed25519 public key for the key-pair tests.
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvYFlpD5FvXh7eWW3GkqQ7oZ6w0rZ1Xk0Oq0t3nJk1p x"


class FakeImages:
    def __init__(self):
        self.cirros = {"id": str(uuid.uuid4()), "name": "cirros", "status": "active",
                       "size": 21430272, "min_disk": 0, "min_ram": 0}
        self.images = {self.cirros["id"]: self.cirros}

    def add(self, **fields) -> dict:
        image = {"id": str(uuid.uuid4()), "status": "active", "size": 1024, "min_disk": 0,
                 "min_ram": 0, **fields}
        self.images[image["id"]] = image
        return image

    def get(self, image_id, token=None):
        if image_id not in self.images:
            raise ServiceError(404, f"No image found with ID {image_id}")
        return dict(self.images[image_id])


class FakeNetworks:
    def __init__(self):
        self.private = {"id": str(uuid.uuid4()), "name": "private", "project_id": "p-demo",
                        "router:external": False}
        self.nets = {self.private["id"]: self.private}
        self.port_table: dict[str, dict] = {}
        self._ips = itertools.count(10)
        self._lock = threading.Lock()
        self.fail_create = False
        self.fip_table: list[dict] = []  # {"floating_ip_address", "port_id"}
        self.groups: list[dict] = []  # security groups other than `default`

    def network(self, network_id, token=None):
        if network_id not in self.nets:
            raise ServiceError(404, f"Network {network_id} could not be found.")
        return self.nets[network_id]

    def networks(self, token=None, **params):
        return list(self.nets.values())

    def port(self, port_id, token=None):
        if port_id not in self.port_table:
            raise ServiceError(404, f"Port {port_id} could not be found.")
        return self.port_table[port_id]

    def ports(self, **params):
        return [p for p in self.port_table.values()
                if all(p.get(k) == v for k, v in params.items())]

    def create_port(self, **fields):
        if self.fail_create:
            raise ServiceError(409, "No more IP addresses available on network")
        with self._lock:
            n = next(self._ips)
            port = {"id": str(uuid.uuid4()), "mac_address": f"fa:16:3e:00:00:{n:02x}",
                    "fixed_ips": [{"subnet_id": "s", "ip_address": f"10.0.0.{n}"}],
                    "binding:host_id": "", **fields}
            self.port_table[port["id"]] = port
        return port

    def update_port(self, port_id, **fields):
        self.port_table[port_id].update(fields)
        return self.port_table[port_id]

    def delete_port(self, port_id):
        self.port_table.pop(port_id, None)

    def floating_ips(self, **params):
        return [f for f in self.fip_table if all(f.get(k) == v for k, v in params.items())]

    def security_groups(self, **params):
        return [g for g in self.groups if all(g.get(k) == v for k, v in params.items())]

    def security_group(self, group_id, token=None):
        raise ServiceError(404, f"Security group {group_id} does not exist")


def with_glance_writes(nova):
    """FakeImages as nova-api and nova-compute write to it: create, upload, delete."""
    images = nova.images
    images.created, images.uploads, images.deleted = [], {}, []

    def create(token=None, **fields):
        image = {"id": str(uuid.uuid4()), "status": "queued", "size": None, **fields}
        images.images[image["id"]] = image
        images.created.append(dict(image, token=token))
        return dict(image)

    def upload(image_id, data):
        if image_id not in images.images:
            raise ServiceError(404, "gone")
        images.uploads[image_id] = data
        images.images[image_id].update(status="active", size=len(data))

    def delete(image_id, token=None):
        images.deleted.append(image_id)
        images.images.pop(image_id, None)

    images.create, images.upload, images.delete = create, upload, delete
    images.url_of = lambda image_id: f"http://glance.test/images/{image_id}"
    return nova
