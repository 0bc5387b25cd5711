"""Where the dashboard runs: on the controller, beside the APIs (DESIGN.md), in every mode.
It is served on its own port (8000 + the port offset) like an API, but it is not one: no
catalog entry, no token middleware; it calls the APIs' public endpoints with each user's
token. It reads the controller's trace store for the Request flow pages."""

from __future__ import annotations


def controller(node):
    from minicloud.dashboard.app import create_app

    return create_app(node.config, node.tracer.store)


PARTS = {"controller": controller}
