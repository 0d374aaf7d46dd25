"""Give memory back after large messages.

A 25 MB declaration makes the service allocate several hundred MB of small objects (the tree,
the parsed model, the lines) in worker threads.  glibc keeps freed memory in per-thread arenas
and does not return it to the system on its own, so without help the process stays at its peak
for ever.  Two measures (measured in bench/soak_bench.py): few malloc arenas, and `malloc_trim`
after a large request.  Both are no-ops where glibc is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

LARGE_BODY = 1024 * 1024  # requests above this size are followed by a trim
_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.malloc_trim  # noqa: B018  (glibc only)
    except (OSError, AttributeError):
        return None
    return lib


def limit_arenas(count: int = 2) -> None:
    """Use at most `count` malloc arenas (call before the worker threads start)."""
    lib = _libc()
    if lib is not None:
        lib.mallopt(_M_ARENA_MAX, count)


def release() -> None:
    """Collect garbage and hand freed heap pages back to the system."""
    gc.collect()
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
