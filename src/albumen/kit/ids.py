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


def uuid7_at(millis: int) -> uuid.UUID:
    """A version 7 id for a given millisecond (Unix epoch), e.g. a time bound to compare update ids with."""
    return uuid.UUID(int=_compose(millis, int.from_bytes(os.urandom(10), "big")))


def uuid7_millis(value: uuid.UUID) -> int:
    """The millisecond timestamp a version 7 id was made at."""
    return value.int >> 80
