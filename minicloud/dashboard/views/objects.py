"""Project > Object Store: containers (create, delete), browsing a container by pseudo-folder
(`prefix` and `delimiter=/`), uploading, downloading and deleting objects. Swift's API:
the account, container and object URLs under the catalog's object-store endpoint."""

from __future__ import annotations

from urllib.parse import quote

import falcon

from minicloud.dashboard import client, forms
from minicloud.dashboard.app import redirect
from minicloud.dashboard.views.base import Panel


def _path(container: str, obj: str = "") -> str:
    return "/" + quote(container, safe="") + ("/" + quote(obj) if obj else "")


class Containers(Panel):
    def on_get(self, req, resp):
        containers = self.api(req).get("object-store", "", params={"format": "json"})
        self.render(req, resp, "containers.html", title="Containers", containers=containers)

    def on_post(self, req, resp):
        name = forms.text(req.context.form, "name")
        if not name or "/" in name:
            raise client.ApiError(400, "A container name is required and may not contain '/'.")
        self.api(req).request("PUT", "object-store", _path(name))
        req.context.session.flash("success", f"Container {name} created.")
        raise redirect(f"/project/containers/{quote(name, safe='')}")


class Container(Panel):
    def on_get(self, req, resp, container):
        prefix = req.get_param("prefix") or ""
        listing = self.api(req).get("object-store", _path(container), params={
            "format": "json", "delimiter": "/", "prefix": prefix})
        folders = [i["subdir"] for i in listing if "subdir" in i]
        objects = [i for i in listing if "name" in i]
        self.render(req, resp, "container.html", title=f"Container: {container}",
                    container=container, prefix=prefix, folders=folders, objects=objects)

    def on_post(self, req, resp, container):
        self.act(req, f"/project/containers/{quote(container, safe='')}", container=container)

    def do_upload(self, req, form, container):
        upload = form.get("file")
        if not isinstance(upload, forms.Upload):
            raise client.ApiError(400, "Choose a file to upload.")
        name = forms.text(form, "prefix") + (forms.text(form, "name") or upload.filename)
        self.api(req).request("PUT", "object-store", _path(container, name), data=upload.data,
                              headers={"Content-Type": upload.content_type})
        return f"Object {name} uploaded."

    def do_delete_object(self, req, form, container):
        name = forms.text(form, "name")
        self.api(req).delete("object-store", _path(container, name))
        return f"Object {name} deleted."

    def do_delete(self, req, form, container):
        self.api(req).delete("object-store", _path(container))
        form["next"] = "/project/containers"
        return f"Container {container} deleted."


class Object(Panel):
    """Download: the object's bytes, streamed from Swift to the browser."""

    def on_get(self, req, resp, container, obj):
        upstream = self.api(req).request("GET", "object-store", _path(container, obj), stream=True)
        resp.content_type = upstream.headers.get("Content-Type", "application/octet-stream")
        if upstream.headers.get("Content-Length"):
            resp.content_length = int(upstream.headers["Content-Length"])
        filename = obj.rsplit("/", 1)[-1]
        resp.downloadable_as = filename
        resp.set_header("Cache-Control", "no-store")
        resp.stream = upstream.iter_content(64 * 1024)
        resp.status = falcon.HTTP_200
