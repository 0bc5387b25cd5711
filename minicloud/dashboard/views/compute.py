"""Project > Compute: Instances (list, launch, power actions, detail), Images, Key Pairs.

Nova at the microversion in client.MICROVERSIONS (2.79: the flavor is embedded in the
server); Glance v2 (an upload is POST /v2/images, then PUT .../file with the bytes)."""

from __future__ import annotations

from urllib.parse import quote

from minicloud.dashboard import client, forms
from minicloud.dashboard.app import redirect
from minicloud.dashboard.views.base import Panel, addresses, by_id, choices

# Statuses during which the table refreshes itself (Horizon's instance row ajax update).
TRANSITIONAL = {"BUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "MIGRATING", "REBUILD",
                "SHELVED", "VERIFY_RESIZE"}
POWER_STATES = {0: "NOSTATE", 1: "Running", 3: "Paused", 4: "Shutdown", 6: "Crashed",
                7: "Suspended"}


def _row(server: dict, images: dict) -> dict:
    image = server.get("image") or {}
    image_id = image.get("id") if isinstance(image, dict) else None
    task = server.get("OS-EXT-STS:task_state")
    return {"id": server["id"], "name": server.get("name", ""),
            "image": (images.get(image_id) or {}).get("name", image_id or "-"),
            "ips": addresses(server),
            "flavor": (server.get("flavor") or {}).get("original_name", "-"),
            "key_name": server.get("key_name") or "-", "status": server.get("status"),
            "task": task or "None",
            "power": POWER_STATES.get(server.get("OS-EXT-STS:power_state"), "NOSTATE"),
            "busy": server.get("status") in TRANSITIONAL or bool(task)}


class Instances(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        servers = api.get("compute", "/servers/detail")["servers"]
        images = by_id(api.get("image", "/v2/images")["images"]) if servers else {}
        rows = [_row(s, images) for s in servers]
        self.render(req, resp, "instances.html", title="Instances", rows=rows,
                    busy=any(r["busy"] for r in rows))

    def on_post(self, req, resp):
        """Launch: POST /servers with what the Launch Instance form chose."""
        form, api = req.context.form, self.api(req)
        name = forms.text(form, "name")
        server = {"name": name, "imageRef": forms.text(form, "image"),
                  "flavorRef": forms.text(form, "flavor"),
                  "networks": [{"uuid": n} for n in forms.many(form, "network")] or "auto"}
        if forms.text(form, "key_name"):
            server["key_name"] = forms.text(form, "key_name")
        groups = forms.many(form, "security_groups")
        if groups:
            server["security_groups"] = [{"name": g} for g in groups]
        count = forms.text(form, "count")
        count = int(count) if count.isdigit() else 1
        if count > 1:
            server["min_count"] = server["max_count"] = count
        try:
            api.post("compute", "/servers", {"server": server})
        except client.ApiError as exc:
            req.context.session.flash("error", f"Error: Unable to launch instance {name}: "
                                               f"{exc.message} (HTTP {exc.status})")
            raise redirect("/project/instances")
        req.context.session.flash("success", f"Launch of instance {name} requested: Nova answered 202 Accepted.")
        raise redirect("/project/instances")


class Launch(Panel):
    """The Launch Instance form: what can be chosen, read from four services."""

    def on_get(self, req, resp):
        api = self.api(req)
        images = [i for i in api.get("image", "/v2/images")["images"] if i.get("status") == "active"]
        flavors = api.get("compute", "/flavors/detail")["flavors"]
        networks = [n for n in api.get("network", "/v2.0/networks")["networks"]
                    if not n.get("router:external")]
        keypairs = [k["keypair"] for k in api.get("compute", "/os-keypairs")["keypairs"]]
        groups = api.get("network", "/v2.0/security-groups",
                         params={"project_id": api.project_id})["security_groups"]
        self.render(req, resp, "launch.html", title="Launch Instance",
                    images=choices(images),
                    flavors=[(f["id"], f"{f['name']} ({f['vcpus']} VCPU, {f['ram']} MB RAM, "
                                        f"{f['disk']} GB disk)") for f in flavors],
                    networks=choices(networks), keypairs=[("", "(none)")] + choices(keypairs, value="name"),
                    groups=[(g["name"], g["name"]) for g in groups])


class Instance(Panel):
    def on_get(self, req, resp, server_id):
        api = self.api(req)
        server = api.get("compute", f"/servers/{quote(server_id)}")["server"]
        actions = api.get("compute", f"/servers/{quote(server_id)}/os-instance-actions")["instanceActions"]
        attached = api.get("compute", f"/servers/{quote(server_id)}/os-volume_attachments")["volumeAttachments"]
        console = ""
        if server.get("status") in ("ACTIVE", "SHUTOFF", "ERROR"):
            try:
                console = api.post("compute", f"/servers/{quote(server_id)}/action",
                                   {"os-getConsoleOutput": {"length": 50}}).get("output", "")
            except client.ApiError as exc:
                console = f"(no console log: {exc.message})"
        created = next((a for a in actions if a.get("action") == "create"), None)
        self.render(req, resp, "instance.html", title=f"Instance: {server.get('name', '')}",
                    server=server, row=_row(server, {}), actions=actions, attached=attached,
                    console=console, created=created)

    def on_post(self, req, resp, server_id):
        self.act(req, "/project/instances", server_id=server_id)

    def _action(self, req, server_id: str, body: dict) -> None:
        self.api(req).post("compute", f"/servers/{quote(server_id)}/action", body)

    def do_start(self, req, form, server_id):
        self._action(req, server_id, {"os-start": None})
        return "Start of the instance requested."

    def do_stop(self, req, form, server_id):
        self._action(req, server_id, {"os-stop": None})
        return "Shut off of the instance requested."

    def do_reboot(self, req, form, server_id):
        kind = "HARD" if forms.text(form, "type") == "HARD" else "SOFT"
        self._action(req, server_id, {"reboot": {"type": kind}})
        return f"{kind.title()} reboot of the instance requested."

    def do_delete(self, req, form, server_id):
        self.api(req).delete("compute", f"/servers/{quote(server_id)}")
        return "Deletion of the instance scheduled."


class Images(Panel):
    def on_get(self, req, resp):
        images = self.api(req).get("image", "/v2/images")["images"]
        self.render(req, resp, "images.html", title="Images", images=images)

    def on_post(self, req, resp):
        """Create Image: the record (POST /v2/images), then its bytes (PUT .../file)."""
        form, api = req.context.form, self.api(req)
        upload = form.get("file")
        if not isinstance(upload, forms.Upload):
            raise client.ApiError(400, "Choose a file to upload.")
        name = forms.text(form, "name") or upload.filename
        image = api.post("image", "/v2/images", {
            "name": name, "disk_format": forms.text(form, "disk_format") or "qcow2",
            "container_format": "bare", "visibility": "private"})
        api.request("PUT", "image", f"/v2/images/{image['id']}/file", data=upload.data,
                    headers={"Content-Type": "application/octet-stream"})
        req.context.session.flash("success", f"Image {name} was uploaded.")
        raise redirect("/project/images")


class Image(Panel):
    def on_post(self, req, resp, image_id):
        self.act(req, "/project/images", image_id=image_id)

    def do_delete(self, req, form, image_id):
        self.api(req).delete("image", f"/v2/images/{quote(image_id)}")
        return "Image deleted."


class KeyPairs(Panel):
    def on_get(self, req, resp):
        keypairs = [k["keypair"] for k in self.api(req).get("compute", "/os-keypairs")["keypairs"]]
        self.render(req, resp, "key_pairs.html", title="Key Pairs", keypairs=keypairs)

    def on_post(self, req, resp):
        """Import Public Key (POST /os-keypairs with a public_key)."""
        form = req.context.form
        name = forms.text(form, "name")
        self.api(req).post("compute", "/os-keypairs", {"keypair": {
            "name": name, "public_key": forms.text(form, "public_key")}})
        req.context.session.flash("success", f"Key pair {name} was imported.")
        raise redirect("/project/key_pairs")


class KeyPair(Panel):
    def on_post(self, req, resp, name):
        self.act(req, "/project/key_pairs", name=name)

    def do_delete(self, req, form, name):
        self.api(req).delete("compute", f"/os-keypairs/{quote(name)}")
        return f"Key pair {name} deleted."
