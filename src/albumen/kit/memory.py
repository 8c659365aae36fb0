"""Process-wide memory settings applied before the server starts its threads."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """glibc gives threads their own malloc arenas (up to 8 per core); the worker threads that stream
    archives and files then hold memory they never give back and run at half speed (measured by
    benchmarks/download.py). A couple of arenas keep RSS flat. No effect off glibc; True if applied."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # musl has no mallopt
        return False
