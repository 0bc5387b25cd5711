"""What the panels share: the dashboard handle, the action dispatch of a row's buttons
(POST with a field `action`, then back to the page), and small readers of API bodies."""

from __future__ import annotations

import falcon

from minicloud.dashboard import forms
from minicloud.dashboard.app import redirect, safe_next


class Panel:
    def __init__(self, dash):
        self.dash = dash

    def api(self, req):
        return self.dash.api(req)

    def render(self, req, resp, template: str, **values):
        self.dash.render(req, resp, template, **values)

    def act(self, req, default_next: str, **ids):
        """Run `do_<action>` of the form's `action`, flash what it says, go back."""
        form = req.context.form
        name = forms.text(form, "action")
        handler = getattr(self, f"do_{name}", None)
        if not name.isidentifier() or handler is None:
            raise falcon.HTTPBadRequest(description=f"No action {name!r} here.")
        message = handler(req, form, **ids)
        if message:
            req.context.session.flash("success", message)
        raise redirect(safe_next(forms.text(form, "next"), default_next))


def by_id(items: list, key: str = "id") -> dict:
    return {item[key]: item for item in items}


def addresses(server: dict) -> list[str]:
    """The server's IP addresses, fixed first, as Horizon's IP Address column shows them."""
    found = []
    for ips in (server.get("addresses") or {}).values():
        for ip in ips:
            found.append(ip.get("addr"))
    return found


def choices(items: list, label: str = "name", value: str = "id") -> list[tuple]:
    return [(item[value], item.get(label) or item[value]) for item in items]
