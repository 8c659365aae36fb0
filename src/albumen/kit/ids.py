"""Identifiers: random v4 for rows, time-ordered v7 for sync update ids."""

from __future__ import annotations

import os
import time
import uuid


def uuid4() -> uuid.UUID:
    return uuid.uuid4()


def uuid7() -> uuid.UUID:
    """RFC 9562 version 7: 48-bit millisecond timestamp, then random bits (stdlib gains it in 3.14)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=_compose(millis, rand))


def _compose(millis: int, rand: int) -> int:
    rand_a = rand & 0xFFF
    rand_b = (rand >> 12) & ((1 << 62) - 1)
    return ((millis & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
