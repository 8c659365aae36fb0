"""The one place that wires implementations together for a running server."""

from __future__ import annotations

from dataclasses import dataclass

from albumen.authn.ratelimit import LoginThrottle, SlidingWindowLimiter
from albumen.config import Settings
from albumen.kit.db import Database


@dataclass
class Container:
    settings: Settings
    database: Database
    login_throttle: LoginThrottle

    @classmethod
    def build(cls, settings: Settings, database: Database) -> Container:
        limits = settings.rate_limit
        return cls(
            settings=settings,
            database=database,
            login_throttle=LoginThrottle(
                per_ip=SlidingWindowLimiter(limits.login_per_ip, limits.window_seconds),
                per_account=SlidingWindowLimiter(limits.login_per_account, limits.window_seconds),
            ),
        )
