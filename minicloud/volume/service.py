"""Where Cinder runs: cinder-api (with the endpoint for cinder-volume's reports) and
cinder-scheduler on the controller; cinder-volume on one storage node,
`Config.volume_backend_host` (its volumes are files under
`<home>/storage/<node>/cinder-volumes/`, shared with the compute hosts as the NFS export
`<its management address>:<that directory>`), reachable in the in-process launcher as
`runtime.volume_nodes["storage1"]`."""

from __future__ import annotations

# The imports are in the role functions: a node's process loads only what its role runs
# (every node imports this module to read PARTS).


def _images(node):
    from minicloud.common.clients import ImageClient

    return ImageClient(node.runtime.service_auth("volume"), node.config.http_timeout)


def controller(node):
    """What a crash left half-way is settled first; the creates and deletes it interrupted
    are sent again once the storage node runs."""
    from minicloud.common import rpc
    from minicloud.volume import api, types
    from minicloud.volume.core import SCHEDULER_TOPIC, Cinder
    from minicloud.volume.recovery import redo, settle_interrupted
    from minicloud.volume.reports import start_reports
    from minicloud.volume.scheduler import SchedulerManager
    from minicloud.volume.store import VolumeStore

    config, transport, tracer = node.config, node.transport, node.tracer
    cinder = Cinder(config, VolumeStore(config.path("volume.db")), transport, tracer,
                    _images(node))
    types.bootstrap(cinder)
    interrupted = settle_interrupted(cinder)
    node.keep(start_reports(cinder, transport, tracer))
    node.keep(rpc.RPCServer(transport, SCHEDULER_TOPIC, node.name,
                            [SchedulerManager(transport, tracer)], service="cinder-scheduler",
                            tracer=tracer, workers=config.scheduler_workers).start())
    node.when_all_up.append(lambda: redo(cinder, interrupted))
    return api.create_app(cinder, tracer, node.runtime.token_validator("volume"))


def storage_node(node):
    config = node.config
    if node.name != config.volume_backend_host:
        return
    from minicloud.volume.backend import FileBackend
    from minicloud.volume.manager import VolumeManager, VolumeNode

    backend = FileBackend(config.path("storage", node.name, "cinder-volumes"),
                          config.volume_backend_capacity_gb,
                          address=node.spec.address("management"))  # the share's server
    manager = VolumeManager(node.name, backend, node.transport, node.tracer, _images(node))
    volume = VolumeNode(manager, node.transport, node.tracer, config.report_interval,
                        workers=config.volume_workers).start()
    node.runtime.volume_nodes[node.name] = node.keep(volume)


PARTS = {"controller": controller, "storage": storage_node}
