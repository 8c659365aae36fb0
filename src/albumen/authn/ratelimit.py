"""Failed-login throttling per client IP and per account (in-process sliding window)."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from albumen.kit.errors import TooManyRequests


@dataclass
class SlidingWindowLimiter:
    limit: int
    window_seconds: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_seconds:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return self._hits.setdefault(key, deque())
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds until the key may try again, or None while it is under the limit."""
        now = time.monotonic()
        hits = self._prune(key, now)
        if len(hits) < self.limit:
            return None
        return max(1, math.ceil(hits[0] + self.window_seconds - now))

    def record(self, key: str) -> None:
        now = time.monotonic()
        self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)


@dataclass
class LoginThrottle:
    per_ip: SlidingWindowLimiter
    per_account: SlidingWindowLimiter

    def check(self, client_ip: str, email: str) -> None:
        waits = [
            wait
            for wait in (self.per_ip.retry_after(client_ip), self.per_account.retry_after(email.lower()))
            if wait is not None
        ]
        if waits:
            raise TooManyRequests("Too many failed login attempts, try again later", retry_after=max(waits))

    def failed(self, client_ip: str, email: str) -> None:
        self.per_ip.record(client_ip)
        self.per_account.record(email.lower())

    def succeeded(self, email: str) -> None:
        self.per_account.reset(email.lower())
