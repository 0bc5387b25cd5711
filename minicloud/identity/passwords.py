"""Password hashing with scrypt, a memory-hard KDF, through the `cryptography` library.

Only the hash is stored: `scrypt$n$r$p$salt$key` (salt and key base64). Cost n=2**14,
r=8, p=1 (16 MiB of memory per check) is the interactive-login setting scrypt's author
recommends; it is a parameter, so a test can make it cheaper and an operator dearer.

That 16 MiB is malloc'ed and freed on every check. glibc raises its mmap threshold to the
largest block freed, so from the second check on the buffer would come from the thread's
heap arena and stay there: every Keystone thread that ever checked a password would keep
16 MiB (measured: 4 threads, 21 -> 85 MB RSS). A fixed threshold of 4 MiB, set once when
this module is imported, keeps such buffers mmapped and given back at free (21 -> 21 MB);
smaller blocks (request bodies, objects) are served from the heap as before.
"""

from __future__ import annotations

import base64
import ctypes
import os

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_LENGTH = 32
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 4 * 1024 * 1024


def _return_big_buffers() -> None:
    """mallopt(M_MMAP_THRESHOLD, 4 MiB) where the C library is glibc (elsewhere: nothing)."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)  # the process's libc
    except (OSError, AttributeError):  # no such function here
        pass


_return_big_buffers()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    salt = os.urandom(16)
    key = Scrypt(salt=salt, length=KEY_LENGTH, n=n, r=r, p=p).derive(password.encode())
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    kdf = Scrypt(salt=base64.b64decode(salt), length=KEY_LENGTH, n=int(n), r=int(r), p=int(p))
    try:
        kdf.verify(password.encode(), base64.b64decode(key))
    except InvalidKey:
        return False
    return True
