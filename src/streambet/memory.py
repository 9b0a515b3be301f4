"""Process-wide memory settings for StreamBet's long-running processes."""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # glibc's mallopt() parameter number


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas at one per core (glibc's default allows eight per core).

    Why: a live stream's decoder, detector and OCR threads each allocate frames and
    tensors from their own arena, and glibc rarely gives arena memory back, so a live
    worker's RSS crept up by about a megabyte a minute (bench/live.py memory: +57 MB over an
    hour). With the cap it stays flat after its first minute, and lower. Call it before any
    threads start; an operator's own MALLOC_ARENA_MAX wins. Returns whether it applied."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False  # a libc without mallopt
    return bool(mallopt(_M_ARENA_MAX, os.cpu_count() or 2))
