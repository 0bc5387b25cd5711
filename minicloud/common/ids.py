"""Identifiers that must be unique but need not be secret: request ids, trace span ids,
message ids, temporary file names.

They come from a `random.Random` seeded once by the OS, not from `os.urandom`: that is a
system call per id, and on a busy server each system call lets another thread take the
GIL. Secrets (tokens, passwords, keys) never come from here.
"""

from __future__ import annotations

import random
import uuid

_random = random.Random()


def random_hex(digits: int = 32) -> str:
    return f"{_random.getrandbits(digits * 4):0{digits}x}"


def random_uuid() -> str:
    """A version-4 UUID in its usual text form."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))
