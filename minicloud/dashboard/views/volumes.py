"""Project > Volumes: volumes (create, delete, attach to and detach from an instance) and
their snapshots. Creating and deleting talk to Cinder; attaching and detaching to Nova
(POST/DELETE /servers/{id}/os-volume_attachments), which then asks Cinder, as Horizon does."""

from __future__ import annotations

from urllib.parse import quote

from minicloud.dashboard import forms
from minicloud.dashboard.app import redirect
from minicloud.dashboard.views.base import Panel


class Volumes(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        volumes = api.get("block-storage", "/volumes/detail")["volumes"]
        snapshots = api.get("block-storage", "/snapshots/detail")["snapshots"]
        servers = api.get("compute", "/servers")["servers"]
        names = {s["id"]: s["name"] for s in servers}
        self.render(req, resp, "volumes.html", title="Volumes", volumes=volumes,
                    snapshots=snapshots, servers=[(s["id"], s["name"]) for s in servers],
                    server_names=names, volume_names={v["id"]: v["name"] for v in volumes})

    def on_post(self, req, resp):
        form = req.context.form
        name = forms.text(form, "name")
        size = forms.text(form, "size") or "1"
        volume = {"name": name, "size": int(size) if size.isdigit() else size}
        if forms.text(form, "description"):
            volume["description"] = forms.text(form, "description")
        self.api(req).post("block-storage", "/volumes", {"volume": volume})
        req.context.session.flash("success", f"Volume {name} is being created.")
        raise redirect("/project/volumes")


class Volume(Panel):
    def on_get(self, req, resp, volume_id):
        volume = self.api(req).get("block-storage", f"/volumes/{quote(volume_id)}")["volume"]
        self.render(req, resp, "volume.html", title=f"Volume: {volume.get('name')}", volume=volume)

    def on_post(self, req, resp, volume_id):
        self.act(req, "/project/volumes", volume_id=volume_id)

    def do_attach(self, req, form, volume_id):
        server = forms.text(form, "server_id")
        self.api(req).post("compute", f"/servers/{quote(server)}/os-volume_attachments",
                           {"volumeAttachment": {"volumeId": volume_id}})
        return "Attaching the volume."

    def do_detach(self, req, form, volume_id):
        server = forms.text(form, "server_id")
        self.api(req).delete("compute", f"/servers/{quote(server)}/os-volume_attachments/"
                                        f"{quote(volume_id)}")
        return "Detaching the volume."

    def do_snapshot(self, req, form, volume_id):
        self.api(req).post("block-storage", "/snapshots", {"snapshot": {
            "volume_id": volume_id, "name": forms.text(form, "name"), "force": True}})
        return "Creating a snapshot of the volume."

    def do_delete(self, req, form, volume_id):
        self.api(req).delete("block-storage", f"/volumes/{quote(volume_id)}")
        return "Deleting the volume."

    def do_delete_snapshot(self, req, form, volume_id):
        self.api(req).delete("block-storage", f"/snapshots/{quote(forms.text(form, 'snapshot_id'))}")
        return "Deleting the snapshot."
