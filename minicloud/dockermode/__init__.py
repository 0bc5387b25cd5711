"""The Docker mode's building blocks: each node a container from one image, driven with the
Docker SDK (the `docker` package; this package is named so as not to shadow it).

    engine.py   connect to a Docker engine, or say how to start one
    image.py    the node image (containers/ at the top of the repository), built once and
                found again by a content hash of what went into it: `minicloud image build`
    launcher.py `minicloud up --mode docker`: the networks, volumes and a container per node
    entry.py    each container's init: interfaces named as the plan names them, then the
                role's programs, supervised
    rabbit.py   the controller container's RabbitMQ, its user and vhost
    controller.py  one controller service (Keystone, Nova's API, conductor and scheduler,
                ...) in a process of its own inside the controller's container
"""

# Set in every node's container to the node's name: `minicloud` commands run there act
# there, not through `docker exec` into the controller's container (cli/__init__.py).
NODE_ENV = "MINICLOUD_NODE"


def service_ready(service: str) -> str:
    """What a controller service's process prints once its API answers (controller.py);
    the launcher waits for it in the container's output."""
    return f"*** Controller service {service} is up"
