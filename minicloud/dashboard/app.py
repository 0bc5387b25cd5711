"""The dashboard's Falcon app: the route table (below), the middleware every page view
passes, and how pages and errors are rendered.

A page view: `DashboardMiddleware` finds the session named by the cookie, checks the CSRF
token of a POST, sends a visitor who is not logged in to the login page and a member who
typed an Identity or Admin URL to a 403 page, and starts the view's CallLog (client.py).
The view calls the APIs through `dash.api(req)` and renders a template with
`dash.render(...)`, which adds the navigation, the messages and the "API calls" panel.
An action (POST) redirects to a page (POST-redirect-GET); its calls and its message wait
in the session and are shown by that page.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from urllib.parse import quote

import falcon
import jinja2

from minicloud.dashboard import client, forms
from minicloud.dashboard.navigation import NAVIGATION, active_item
from minicloud.dashboard.sessions import SessionStore

LOG = logging.getLogger(__name__)
HERE = Path(__file__).parent
COOKIE = "sessionid"
PUBLIC = ("/auth/login", "/static/")
ADMIN_ONLY = ("/admin", "/identity")
CSRF_FAILED = ("CSRF verification failed: the form was not sent by this dashboard's page, "
               "or your session ended. Reload the page and try again.")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Dashboard:
    """What every view shares: the configuration, the sessions, the templates and the
    trace store of the controller (for the Request flow pages)."""

    def __init__(self, config, trace_store, sessions: SessionStore | None = None):
        self.config = config
        self.trace_store = trace_store
        self.sessions = sessions or SessionStore()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
            trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)

    def api(self, req) -> client.Api:
        session = req.context.session
        return client.Api(session.token, session.access, self.config.region)

    def render(self, req, resp, template: str, status=falcon.HTTP_200, **values) -> None:
        """A page in the layout (or, with ?part=..., only the template's fragment)."""
        session = req.context.session
        part = req.get_param("part")
        calls = list(req.context.calls)
        if session is not None and not part:
            calls = session.pending_calls + calls
            session.pending_calls = []
        if session is not None:
            session.recent_ids.extend(c.request_id for c in calls if c.request_id)
        messages = (session.take_messages() if session is not None and not part else [])
        messages += getattr(req.context, "errors", [])
        page = self.templates.get_template(template)
        resp.status = status
        resp.content_type = falcon.MEDIA_HTML
        resp.text = page.render(
            session=session, calls=calls, messages=messages, csrf=session.csrf if session else "",
            nav=NAVIGATION, active=active_item(req.path), part=part, path=req.path,
            dashboard_url=self.config.base_url("dashboard"), **values)


def redirect(location: str):
    return falcon.HTTPSeeOther(location)


def safe_next(target: str | None, default: str = "/project") -> str:
    """A local path to go back to (never another site: `//evil` or `http://...`)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


class DashboardMiddleware:
    def __init__(self, dash: Dashboard):
        self.dash = dash

    def process_request(self, req, resp):
        req.context.calls = client.start_log()
        req.context.errors = []
        req.context.session = self.dash.sessions.get(req.cookies.get(COOKIE))
        req.context.form = {}
        if req.path.startswith("/static/"):
            return
        if req.method == "POST":
            session = req.context.session
            if session is None:  # refused before its body is read
                raise Forbidden(CSRF_FAILED)
            req.context.form = forms.parse(req, uploads=session.logged_in)
            sent = req.context.form.get("csrf_token", "")
            if not isinstance(sent, str) or \
                    not secrets.compare_digest(sent.encode(), session.csrf.encode()):
                raise Forbidden(CSRF_FAILED)
        if req.path.startswith(PUBLIC):
            return
        session = req.context.session
        if session is None or not session.logged_in:
            raise redirect("/auth/login?next=" + quote(req.relative_uri, safe="/"))
        if req.path.startswith(ADMIN_ONLY) and not session.is_admin:
            raise Forbidden("You are not authorized to access this page: it needs the "
                            "admin role.")

    def process_response(self, req, resp, resource, req_succeeded):
        for name, value in SECURITY_HEADERS.items():
            if not req.path.startswith("/static/") or name != "Cache-Control":
                resp.set_header(name, value)
        session = req.context.session
        if session is not None:
            if req.method == "POST" and session.logged_in:
                session.pending_calls = session.pending_calls + list(req.context.calls)
            if req.cookies.get(COOKIE) != session.id:
                resp.set_cookie(COOKIE, session.id, http_only=True, same_site="Lax",
                                secure=False, path="/")
        elif req.cookies.get(COOKIE):
            resp.unset_cookie(COOKIE, path="/")


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _error_handlers(app: falcon.App, dash: Dashboard) -> None:
    def forbidden(req, resp, exc, params):
        dash.render(req, resp, "error.html", status=falcon.HTTP_403, title="Forbidden",
                    code=403, message=exc.message)

    def not_authenticated(req, resp, exc, params):
        session = req.context.session
        if session is not None:
            dash.sessions.drop(session.id)
        fresh = dash.sessions.new()
        fresh.flash("error", exc.message)
        req.context.session = fresh
        raise redirect("/auth/login")

    def api_error(req, resp, exc, params):
        """Horizon's way: the service's message in a banner, never a stack trace. An
        action goes back to where it came from; a page shows the banner alone."""
        session = req.context.session
        text = f"Error: {exc.message} (HTTP {exc.status})"
        if req.method == "POST" and session is not None:
            session.flash("error", text)
            raise redirect(safe_next(req.context.form.get("next"), req.path))
        req.context.errors.append(("error", text))
        status = exc.status if 400 <= exc.status < 500 else 502  # the API's 4xx; 5xx: its fault
        dash.render(req, resp, "error.html", status=falcon.code_to_http_status(status),
                    title="Error", code=exc.status, message="")

    def http_error(req, resp, exc, params):
        dash.render(req, resp, "error.html", status=exc.status, title=exc.title,
                    code=exc.status_code, message=exc.description or "")

    def unexpected(req, resp, exc, params):
        LOG.exception("dashboard: unexpected error on %s %s", req.method, req.path)
        dash.render(req, resp, "error.html", status=falcon.HTTP_500, title="Error",
                    code=500, message="Something went wrong. The dashboard's log says what.")

    app.add_error_handler(Exception, unexpected)
    app.add_error_handler(falcon.HTTPError, http_error)
    app.add_error_handler(Forbidden, forbidden)
    app.add_error_handler(client.ApiError, api_error)
    app.add_error_handler(client.NotAuthenticated, not_authenticated)


def routes(dash: Dashboard) -> list[tuple[str, object]]:
    from minicloud.dashboard.views import (admin, auth, compute, flows, identity, network,
                                           objects, overview, topology, volumes)

    return [
        ("/", auth.Home()),
        ("/auth/login", auth.Login(dash)),
        ("/auth/logout", auth.Logout(dash)),
        ("/project", overview.Overview(dash)),
        ("/project/instances", compute.Instances(dash)),
        ("/project/instances/launch", compute.Launch(dash)),
        ("/project/instances/{server_id}", compute.Instance(dash)),
        ("/project/images", compute.Images(dash)),
        ("/project/images/{image_id}", compute.Image(dash)),
        ("/project/key_pairs", compute.KeyPairs(dash)),
        ("/project/key_pairs/{name}", compute.KeyPair(dash)),
        ("/project/volumes", volumes.Volumes(dash)),
        ("/project/volumes/{volume_id}", volumes.Volume(dash)),
        ("/project/network_topology", topology.Topology(dash)),
        ("/project/networks", network.Networks(dash)),
        ("/project/networks/{network_id}", network.Network(dash)),
        ("/project/routers", network.Routers(dash)),
        ("/project/routers/{router_id}", network.Router(dash)),
        ("/project/security_groups", network.SecurityGroups(dash)),
        ("/project/security_groups/{group_id}", network.SecurityGroup(dash)),
        ("/project/floating_ips", network.FloatingIPs(dash)),
        ("/project/floating_ips/{fip_id}", network.FloatingIP(dash)),
        ("/project/containers", objects.Containers(dash)),
        ("/project/containers/{container}", objects.Container(dash)),
        ("/project/containers/{container}/{obj:path}", objects.Object(dash)),
        ("/flow/{request_id}", flows.Flow(dash)),
        ("/identity/projects", identity.Projects(dash)),
        ("/identity/users", identity.Users(dash)),
        ("/identity/role_assignments", identity.RoleAssignments(dash)),
        ("/admin/hypervisors", admin.Hypervisors(dash)),
        ("/admin/services", admin.Services(dash)),
        ("/admin/instances", admin.Instances(dash)),
    ]


def create_app(config, trace_store, sessions: SessionStore | None = None) -> falcon.App:
    dash = Dashboard(config, trace_store, sessions)
    app = falcon.App(middleware=[DashboardMiddleware(dash)])
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_form_urlencoded = False
    app.resp_options.secure_cookies_by_default = False
    for path, resource in routes(dash):
        app.add_route(path, resource)
    app.add_static_route("/static", str(HERE / "static"))
    _error_handlers(app, dash)
    return app
