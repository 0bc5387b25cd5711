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


def service_is_up(row: dict, down_time: float, now: float | None = None) -> bool:
    """A row of Nova's or Cinder's services table (`last_seen`, and `forced_down` where the
    service has it)."""
    return is_up(row["last_seen"], down_time, forced_down=bool(row.get("forced_down")),
                 now=now)
