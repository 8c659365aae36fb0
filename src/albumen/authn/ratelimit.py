"""Failed-login throttling per client IP and per account: a moving window of failures per key, kept
by the `limits` package in this process's memory (expired keys are dropped), or in Redis when
ALBUMEN_REDIS_URL is set, so every server behind one address shares the count."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from albumen.config import Settings
from albumen.kit.errors import TooManyRequests

KEY_PREFIX = "albumen:login"


def limits_storage(redis_url: str | None) -> Storage:
    """Memory in this process, or the Redis at `redis_url` (redis://, rediss://, unix://)."""
    if not redis_url:
        return MemoryStorage()
    if redis_url.startswith("unix://"):
        uri = "async+redis+unix://" + redis_url.removeprefix("unix://")
    else:
        uri = f"async+{redis_url}"
    return RedisStorage(uri, implementation="redispy", key_prefix=KEY_PREFIX)


@dataclass
class FailureWindow:
    """At most `limit` failures per key within any `window_seconds`; `scope` keeps the IP and the
    account counts apart in one storage."""

    limiter: MovingWindowRateLimiter
    item: RateLimitItem
    scope: str

    @classmethod
    def of(cls, storage: Storage, scope: str, limit: int, window_seconds: int) -> FailureWindow:
        return cls(MovingWindowRateLimiter(storage), RateLimitItemPerSecond(limit, window_seconds), scope)

    async def retry_after(self, key: str) -> int | None:
        """Seconds until the key may try again, or None while it is under the limit."""
        reset_at, remaining = await self.limiter.get_window_stats(self.item, self.scope, key)
        if remaining > 0:
            return None
        return max(1, math.ceil(reset_at - time.time()))

    async def record(self, key: str) -> None:
        await self.limiter.hit(self.item, self.scope, key)

    async def reset(self, key: str) -> None:
        await self.limiter.clear(self.item, self.scope, key)


@dataclass
class LoginThrottle:
    per_ip: FailureWindow
    per_account: FailureWindow

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        storage = limits_storage(settings.redis_url)
        limits = settings.rate_limit
        return cls(
            per_ip=FailureWindow.of(storage, "ip", limits.login_per_ip, limits.window_seconds),
            per_account=FailureWindow.of(storage, "account", limits.login_per_account, limits.window_seconds),
        )

    async def check(self, client_ip: str, email: str) -> None:
        waits = [
            wait
            for wait in (
                await self.per_ip.retry_after(client_ip),
                await self.per_account.retry_after(email.lower()),
            )
            if wait is not None
        ]
        if waits:
            raise TooManyRequests("Too many failed login attempts, try again later", retry_after=max(waits))

    async def failed(self, client_ip: str, email: str) -> None:
        await self.per_ip.record(client_ip)
        await self.per_account.record(email.lower())

    async def succeeded(self, email: str) -> None:
        await self.per_account.reset(email.lower())
