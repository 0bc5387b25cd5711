"""`/servers`: create, list, show, rename and delete servers (`openstack server ...`), and
their metadata.

Creating a server is the start of the boot flow: nova-api checks what it can see (the
image in Glance and the network in Neutron with the caller's token, the flavor and key pair
in compute.db, the quota), records the server in BUILD/scheduling and casts
`build_instances` to the conductor; the 202 goes back before any host is chosen. Deleting
casts `terminate_instance` to the server's host, or deletes locally when it has none (or
its nova-compute is down), releasing its ports in Neutron either way.
"""

from __future__ import annotations

import ipaddress
import re
import time

import falcon

from minicloud.common import errors, rpc
from minicloud.common.timeutils import isotime
from minicloud.common.validation import read_json
from minicloud.compute import boot_volumes, schemas, shelve, views
from minicloud.common.clients import ServiceError
from minicloud.compute.core import Nova
from minicloud.compute.flavors import paginate
from minicloud.compute.microversions import at_least
from minicloud.compute.locking import check_unlocked
from minicloud.compute.store import ComputeStore, new_uuid

GB = 1024 ** 3


# -- create: each check is one small function --------------------------------------------
def _ref(value) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def check_flavor(api: Nova, ref) -> dict:
    flavor = api.store.flavor(_ref(ref))
    if flavor is None:
        raise errors.BadRequest(f"Flavor {_ref(ref)} could not be found.")
    return flavor


def image_ref(body: dict) -> str:
    if body.get("imageRef"):
        return _ref(body["imageRef"])
    for bdm in body.get("block_device_mapping_v2") or []:
        if bdm.get("source_type") == "image" and bdm.get("boot_index") in (0, "0"):
            return bdm["uuid"]
    raise errors.BadRequest("Missing imageRef attribute")


def check_image(api: Nova, ctx, ref: str, flavor: dict) -> dict:
    try:
        image = api.images.get(ref, token=ctx.auth_token)
    except ServiceError as exc:
        if exc.status in (400, 404):
            raise errors.BadRequest(f"Image {ref} could not be found.") from None
        raise errors.ApiError(f"Glance answered {exc.status}: {exc}") from None
    if image.get("status") != "active":
        raise errors.BadRequest(f"Image {ref} is not active.")
    disk = flavor["disk"] * GB
    if flavor["disk"] and (image.get("size") or 0) > disk:
        raise errors.BadRequest(f"Flavor's disk is too small for requested image. Flavor disk "
                                f"is {disk} bytes, image is {image['size']} bytes.")
    if flavor["disk"] and (image.get("min_disk") or 0) * GB > disk:
        raise errors.BadRequest(f"Flavor's disk is too small for requested image. Flavor disk "
                                f"is {disk} bytes, minimum disk is "
                                f"{image['min_disk'] * GB} bytes.")
    if (image.get("min_ram") or 0) > flavor["ram"]:
        raise errors.BadRequest("Flavor's memory is too small for requested image.")
    return image


def check_networks(api: Nova, ctx, requested, microversion_237: bool) -> list[dict]:
    if requested is None:
        if microversion_237:
            raise errors.BadRequest("Invalid input for field/attribute networks: 'networks' "
                                    "is a required property")
        requested = "auto"
    if requested == "none":
        return []
    if requested == "auto":
        return [{"uuid": _auto_network(api, ctx)}]
    checked = []
    for item in requested:
        if item.get("port"):
            checked.append({"port": _check_port(api, ctx, item["port"])})
        elif item.get("uuid"):
            try:
                api.networks.network(item["uuid"], token=ctx.auth_token)
            except ServiceError as exc:
                if exc.status == 404:
                    raise errors.BadRequest(f"Network {item['uuid']} could not be found.") from None
                raise errors.ApiError(f"Neutron answered {exc.status}: {exc}") from None
            checked.append({"uuid": item["uuid"], "fixed_ip": item.get("fixed_ip")})
        else:
            raise errors.BadRequest("Bad networks format: network uuid is not in proper format")
    return checked


def _check_port(api: Nova, ctx, port_id: str) -> str:
    try:
        port = api.networks.port(port_id, token=ctx.auth_token)
    except ServiceError:
        raise errors.BadRequest(f"Port id {port_id} could not be found.") from None
    if port.get("device_id"):
        raise errors.Conflict(f"Port {port_id} is still in use.")
    return port_id


def _auto_network(api: Nova, ctx) -> str:
    try:
        nets = [n for n in api.networks.networks(token=ctx.auth_token)
                if not n.get("router:external")]
    except ServiceError as exc:
        raise errors.ApiError(f"Neutron answered {exc.status}: {exc}") from None
    own = [n for n in nets if n.get("project_id") == ctx.project_id] or nets
    if len(own) > 1:
        raise errors.Conflict("Multiple possible networks found, use a Network ID to be more "
                              "specific.")
    if not own:
        raise errors.BadRequest("Unable to automatically allocate a network for project "
                                f"{ctx.project_id}")
    return own[0]["id"]


def check_key(api: Nova, ctx, name: str | None) -> dict | None:
    if not name:
        return None
    found = api.store.keypair(ctx.user_id, name)
    if found is None:
        raise errors.BadRequest("Invalid key_name provided.")
    return found


def check_security_groups(api: Nova, ctx, requested) -> list[str]:
    """Group names (the CLI sends Neutron ids in `name`: Nova shows names). Every group
    must exist in Neutron for the project, else 400; `default` always does (Neutron
    creates it on first use)."""
    names = []
    for item in requested or [{"name": "default"}]:
        name = item.get("name") or "default"
        if re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", name):
            try:
                name = api.networks.security_group(name, token=ctx.auth_token)["name"]
            except ServiceError:
                raise errors.BadRequest(f"Security group {name} not found.") from None
        elif name != "default" and not _group_named(api, ctx, name):
            raise errors.BadRequest(f"Security group {name} not found.")
        names.append(name)
    return names


def _group_named(api: Nova, ctx, name: str) -> bool:
    try:
        return bool(api.networks.security_groups(name=name, project_id=ctx.project_id))
    except ServiceError as exc:
        raise errors.ApiError(f"Neutron answered {exc.status}: {exc}") from None


def check_quota(api: Nova, project_id: str, flavor: dict, count: int, *,
                recheck: bool = False) -> None:
    """Room for `count` servers of `flavor`; with `recheck`, they were just created and
    are counted already (Nova's quota recheck)."""
    limits, used = api.quotas(project_id), api.store.usage(project_id)
    asked = {"instances": count, "cores": flavor["vcpus"] * count, "ram": flavor["ram"] * count}
    for resource in ("instances", "cores", "ram"):
        limit, before = limits[resource], used[resource] - (asked[resource] if recheck else 0)
        if limit >= 0 and before + asked[resource] > limit:
            raise errors.Forbidden(
                f"Quota exceeded for {resource}: Requested {asked[resource]}, but already "
                f"used {before} of {limit} {resource}", kind="forbidden")


def check_metadata_quota(api: Nova, project_id: str, metadata: dict) -> None:
    limit = api.quotas(project_id)["metadata_items"]
    if 0 <= limit < len(metadata):
        raise errors.Forbidden(f"Quota exceeded for metadata_items: Requested "
                               f"{len(metadata)}, but already used 0 of {limit} "
                               f"metadata_items", kind="forbidden")


def _count(body: dict) -> int:
    """How many servers: `max_count`, which defaults to `min_count` (both >= 1, checked
    by the schema), as in Nova."""
    low = int(body.get("min_count", 1))
    high = int(body.get("max_count", low))
    if low > high:
        raise errors.BadRequest("min_count must be <= max_count")
    return high


def check_access_ips(fields: dict) -> dict:
    """accessIPv4/accessIPv6 as the columns that store them; a bad address is 400."""
    out = {}
    for key, column, kind in (("accessIPv4", "access_ip_v4", ipaddress.IPv4Address),
                              ("accessIPv6", "access_ip_v6", ipaddress.IPv6Address)):
        if key not in fields:
            continue
        value = fields[key]
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            out[column] = str(kind(value))
        except ValueError:
            raise errors.BadRequest(f"Invalid input for field/attribute {key}. Value: "
                                    f"{value}. '{value}' is not a '{key[-2:].lower()}'"
                                    ) from None
    return out


class Servers:
    def __init__(self, api: Nova, detail: bool = False):
        self.api, self.detail = api, detail

    def on_get(self, req, resp):
        ctx = req.context.ctx
        rows = list_servers(self.api.store, req, ctx)
        page = paginate(req, rows)
        render = (lambda r: views.server(req, r, ctx, host_status=(
            self.api.host_status(r) if ctx.is_admin else None))) if self.detail else (
            lambda r: views.server_summary(req, r))
        body = {"servers": [render(r) for r in page]}
        limit = req.get_param_as_int("limit")
        if limit and len(page) == limit and page:
            path = "servers/detail" if self.detail else "servers"
            body["servers_links"] = [{"rel": "next", "href": f"{views.root(req)}/{path}?"
                                      f"limit={limit}&marker={page[-1]['id']}"}]
        resp.media = body

    def on_post(self, req, resp):
        ctx, api = req.context.ctx, self.api
        body = read_json(req, schemas.SERVER_CREATE)["server"]
        flavor = check_flavor(api, body["flavorRef"])
        boot = boot_volumes.check(api, ctx, body, _count(body))  # None: boot from an image
        ref = "" if boot else image_ref(body)
        image = boot["image"] if boot else check_image(api, ctx, ref, flavor)
        boot, ref = boot_volumes.from_image(image, boot, ref)  # a volume-backed snapshot
        networks = check_networks(api, ctx, body.get("networks"), at_least(req, "2.37"))
        key = check_key(api, ctx, body.get("key_name"))
        zone, forced = forced_host(ctx, body.get("availability_zone"))
        count = _count(body)
        groups = check_security_groups(api, ctx, body.get("security_groups"))
        access = check_access_ips(body)
        check_metadata_quota(api, ctx.project_id, body.get("metadata") or {})
        with api.create_lock:
            check_quota(api, ctx.project_id, flavor, count)
            instances = [self._record(ctx, body, flavor, ref, networks, key, groups, zone,
                                      f"{body['name']}-{i + 1}" if count > 1 else body["name"],
                                      access)
                         for i in range(count)]
            try:  # Nova's quota recheck: another nova-api may have taken the room meanwhile
                check_quota(api, ctx.project_id, flavor, count, recheck=True)
            except errors.Forbidden:
                api.store.delete_instances([instance["id"] for instance in instances])
                raise
        for index, instance in enumerate(instances):
            boot_volumes.reserve(api, ctx, instance, boot)
            spec = {"instance_id": instance["id"], "flavor": flavor, "image": _image_props(image),
                    "availability_zone": zone, "force_hosts": forced}
            try:
                api.conductor.cast(ctx, "build_instances", instance_id=instance["id"],
                                   spec=spec)
            except rpc.RPCError as exc:  # the message bus did not take it
                self._not_sent(ctx, instances[index:], exc)
        first = instances[0]
        resp.status = falcon.HTTP_202
        if body.get("return_reservation_id") in (True, "True", "true", "1"):
            resp.media = {"reservation_id": f"r-{first['seq']:08x}"}
            return
        resp.set_header("Location", views.links(req, "servers", first["id"])[0]["href"])
        # The password the user gave, else one Nova made up (the fake driver sets neither).
        resp.media = {"server": {"id": first["id"], "links": views.links(req, "servers",
                                                                         first["id"]),
                                 "OS-DCF:diskConfig": "MANUAL",
                                 "security_groups": [{"name": g} for g in groups],
                                 "adminPass": body.get("adminPass")
                                 or new_uuid().replace("-", "")[:12]}}

    def _not_sent(self, ctx, instances: list[dict], exc: Exception) -> None:
        """The build never reached nova-conductor: the servers go to ERROR with the reason
        as their fault (the user sees it and can delete them), and the caller gets a 503."""
        message = f"The build request could not be sent to nova-conductor: {exc}"
        fault = {"code": 503, "message": message, "created": isotime(time.time())}
        for instance in instances:
            self.api.store.update_instance(instance["id"], vm_state="error", task_state=None,
                                           fault=fault)
            self.api.store.add_event(instance["id"], ctx.request_id, "compute_api_create",
                                     result="Error", details=message)
        raise errors.ServiceUnavailable(message)

    def _record(self, ctx, body, flavor, ref, networks, key, groups, zone, name,
                access: dict) -> dict:
        instance = self.api.store.create_instance({
            "id": new_uuid(), "name": name, "project_id": ctx.project_id,
            "user_id": ctx.user_id, "image_ref": ref, "flavor": flavor,
            "vm_state": "building", "task_state": "scheduling", "power_state": 0,
            "availability_zone": zone or "nova", "key_name": key and key["name"],
            "key_data": key and key["public_key"], "metadata": body.get("metadata") or {},
            "user_data": body.get("user_data"), "security_groups": groups,
            "requested_networks": networks, "description": body.get("description"),
            **access})
        self.api.store.start_action(ctx, instance["id"], "create")
        return instance


def forced_host(ctx, requested: str | None) -> tuple[str | None, list[str]]:
    """`availability_zone` as Nova reads it: `ZONE`, or `ZONE:HOST` (also `ZONE:HOST:NODE`,
    a node being its host here), which places the server on HOST past the scheduler's
    other filters and is for admins only (policy servers:create:forced_host)."""
    zone, _, where = (requested or "").partition(":")
    if zone and zone != "nova":
        raise errors.BadRequest("The requested availability zone is not available")
    host = where.partition(":")[0] or where.partition(":")[2]
    if where and not ctx.is_admin:
        raise errors.Forbidden("Policy doesn't allow os_compute_api:servers:create:forced_host "
                               "to be performed.")
    return zone or None, [host] if host else []


def _image_props(image: dict) -> dict:
    keep = ("id", "name", "min_disk", "min_ram", "hypervisor_type", "img_hv_type",
            "architecture", "size")
    return {k: image.get(k) for k in keep if image.get(k) is not None}


def list_servers(store: ComputeStore, req, ctx) -> list[dict]:
    filters = {}
    all_tenants = req.get_param("all_tenants") is not None and ctx.is_admin
    project = req.get_param("project_id") or req.get_param("tenant_id")
    if not all_tenants or (project and ctx.is_admin):
        filters["project_id"] = project if project and ctx.is_admin else ctx.project_id
    if req.get_param("host") and ctx.is_admin:
        filters["host"] = req.get_param("host")
    for param, column in (("image", "image_ref"), ("user_id", "user_id")):
        if req.get_param(param):
            filters[column] = _ref(req.get_param(param))
    rows = store.instances(**filters)
    name = req.get_param("name")
    if name:
        try:
            pattern = re.compile(name)
        except re.error:
            raise errors.BadRequest(f"Invalid regular expression for name: {name}") from None
        rows = [r for r in rows if pattern.search(r["name"])]
    wanted = req.get_param("status")
    if wanted:
        rows = [r for r in rows if views.status(r) == wanted.upper()]
    if req.get_param("flavor"):
        rows = [r for r in rows if r["flavor"]["id"] == _ref(req.get_param("flavor"))]
    return rows


class Server:
    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp, server_id):
        instance = self.api.instance(req, server_id)
        resp.media = {"server": views.server(req, instance, req.context.ctx,
                                             server_groups=True,
                                             host_status=self.api.host_status(instance))}

    def on_put(self, req, resp, server_id):
        """Rename, describe, set access IPs; the answer is smaller than GET's before 2.75
        (no zone, key, states, volumes, admin attributes, type of address)."""
        instance = self.api.instance(req, server_id)
        fields = read_json(req, schemas.SERVER_UPDATE)["server"]
        for key, version in (("description", "2.19"), ("hostname", "2.90")):
            if key in fields and not at_least(req, version):
                raise errors.BadRequest(f"Invalid input for field/attribute server. Value: "
                                        f"{fields}. Additional properties are not allowed "
                                        f"('{key}' was unexpected)")
        updates = {k: fields[k] for k in ("name", "description", "hostname") if k in fields}
        updates.update(check_access_ips(fields))
        if "name" in updates:
            updates["name"] = updates["name"].strip()
        if updates:
            instance = self.api.store.update_instance(server_id, **updates)
        resp.media = {"server": views.server(req, instance, req.context.ctx,
                                             full=at_least(req, "2.75"), server_groups=True,
                                             host_status=self.api.host_status(instance))}

    def on_delete(self, req, resp, server_id):
        api, ctx = self.api, req.context.ctx
        instance = api.instance(req, server_id)
        check_unlocked(ctx, instance)  # a locked server: 409 for non-admins (locking.py)
        api.store.start_action(ctx, server_id, "delete")
        shelve.delete_shelved_image(api, ctx, instance)
        if instance["host"] and api.service_up(instance["host"]):
            instance = api.store.update_instance(server_id, task_state="deleting")
            api.cast_to_host(ctx, instance, "terminate_instance")
        else:
            api.local_delete(ctx, instance)
        resp.status = falcon.HTTP_204


class ServerMetadata:
    """`/servers/{id}/metadata`: POST merges, PUT replaces (`server set --property`)."""

    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp, server_id):
        resp.media = {"metadata": self.api.instance(req, server_id)["metadata"]}

    def _save(self, req, resp, server_id, merge: bool):
        instance = self.api.instance(req, server_id)
        new = read_json(req, schemas.METADATA)["metadata"]
        metadata = {**instance["metadata"], **new} if merge else new
        if len(metadata) > self.api.quotas(instance["project_id"])["metadata_items"]:
            raise errors.Forbidden("Quota exceeded for metadata_items")
        self.api.store.update_instance(server_id, metadata=metadata)
        resp.media = {"metadata": metadata}

    def on_post(self, req, resp, server_id):
        self._save(req, resp, server_id, merge=True)

    def on_put(self, req, resp, server_id):
        self._save(req, resp, server_id, merge=False)


class ServerMetadataItem:
    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp, server_id, key):
        metadata = self.api.instance(req, server_id)["metadata"]
        if key not in metadata:
            raise errors.NotFound("Metadata item was not found")
        resp.media = {"meta": {key: metadata[key]}}

    def on_put(self, req, resp, server_id, key):
        instance = self.api.instance(req, server_id)
        meta = read_json(req, schemas.META_ITEM)["meta"]
        if list(meta) != [key]:
            raise errors.BadRequest("Request body and URI mismatch")
        self.api.store.update_instance(server_id, metadata={**instance["metadata"], **meta})
        resp.media = {"meta": meta}

    def on_delete(self, req, resp, server_id, key):
        instance = self.api.instance(req, server_id)
        if key not in instance["metadata"]:
            raise errors.NotFound("Metadata item was not found")
        metadata = {k: v for k, v in instance["metadata"].items() if k != key}
        self.api.store.update_instance(server_id, metadata=metadata)
        resp.status = falcon.HTTP_204
