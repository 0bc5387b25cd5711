"""Where Glance runs: on the controller, with its image files in the data directory."""

from __future__ import annotations


def controller(node):
    from minicloud.image import api, bootstrap
    from minicloud.image.core import Glance
    from minicloud.image.files import FileStore
    from minicloud.image.store import ImageStore

    config = node.config
    glance = Glance(config, ImageStore(config.path("image.db")),
                    FileStore(config.path("images")))
    bootstrap.bootstrap(glance, lambda: bootstrap.admin_project_id(
        node.runtime.service_auth("image")))
    return api.create_app(glance, node.tracer, node.runtime.token_validator("image"))


PARTS = {"controller": controller}
