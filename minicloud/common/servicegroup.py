"""Is a service up? The question Nova's servicegroup API (its database driver) answers for
`compute service list` and the scheduler, Cinder for `volume service list` and Neutron for
`network agent list`: up when its last heartbeat is at most `down_time` seconds old and no
admin forced it down."""

from __future__ import annotations

import time


def is_up(last_seen: float | None, down_time: float, *, forced_down: bool = False,
          now: float | None = None) -> bool:
    if forced_down:
        return False
    return (time.time() if now is None else now) - (last_seen or 0) <= down_time
