"""What Nova does with work a crash cut short (nova-compute's init_host, instance by
instance): when a compute host starts, it first destroys what it still has of servers
evacuated to another host while it was down (manager_evacuate.py: they must not run
twice), then asks the conductor for its instances and

    - one still building (scheduling, networking, spawning ...) can never finish: ERROR,
      with a fault that says why; its claim on the host is given back;
    - one being deleted: the delete is done again (deleting what is already gone is fine);
    - one in the middle of a rebuild, resize or migration: ERROR (an admin can reset it);
    - one in the middle of a power action or a snapshot: the task is cleared and the
      instance keeps the state it had;
    - every steady instance is taken back by the driver as it was.

The conductor does the same, when it starts, for instances that had not reached a host yet
(real Nova leaves those in BUILD for ever; a learner should not wait for ever).
"""

from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)

STEADY = ("active", "stopped", "paused", "suspended", "shelved")
MESSAGE = "Interrupted: the cloud stopped while this was under way (task_state {task})."


def settle_on_host(compute_host, ctx) -> None:
    """Nova's init_host: give each instance of this host a state somebody can act on."""
    manager = compute_host.manager
    evacuated = manager.destroy_evacuated(ctx, compute_host.reports.call(
        ctx, "evacuations_from", host=compute_host.host))
    for instance in compute_host.reports.call(ctx, "instances_on_host", host=compute_host.host):
        if instance["id"] in evacuated:  # still ours in the database until it lands there
            continue
        task, vm_state = instance["task_state"], instance["vm_state"]
        if vm_state == "building":
            LOG.warning("%s: server %s was building: ERROR", compute_host.host, instance["id"])
            compute_host.reports.call(ctx, "build_failed", instance_id=instance["id"],
                                      message=MESSAGE.format(task=task),
                                      event="compute_init_host")
        elif task == "deleting":
            manager.terminate_instance(ctx, instance)
        elif task is not None:
            broken = task.startswith(("rebuild", "resize", "migrat", "unshelv"))
            updates = {"task_state": None, **({"vm_state": "error"} if broken else {})}
            compute_host.reports.call(ctx, "instance_update", instance_id=instance["id"],
                                      updates=updates)
            if not broken and vm_state in STEADY:
                compute_host.driver.recover(instance, instance["power_state"])
        elif vm_state in STEADY:
            compute_host.driver.recover(instance, instance["power_state"])


def settle_unscheduled(conductor, ctx) -> None:
    """Instances that were never placed on a host: nothing will ever build them now."""
    for instance in conductor.store.unscheduled_instances():
        LOG.warning("server %s was waiting for a host: ERROR", instance["id"])
        conductor.build_failed(ctx, instance["id"],
                               MESSAGE.format(task=instance["task_state"]),
                               "conductor_schedule_and_build_instances")
