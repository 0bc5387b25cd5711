"""The state check every server action makes first (Nova's `check_instance_state`): the
action is allowed in some vm_states and only while no other task runs; else 409."""

from __future__ import annotations

from minicloud.common import errors


def check_state(instance: dict, action: str, vm_states, task_states=(None,)) -> None:
    if instance["vm_state"] not in vm_states:
        raise errors.Conflict(f"Cannot '{action}' instance {instance['id']} while it is in "
                              f"vm_state {instance['vm_state']}")
    if instance["task_state"] not in task_states:
        raise errors.Conflict(f"Cannot '{action}' instance {instance['id']} while it is in "
                              f"task_state {instance['task_state']}")
