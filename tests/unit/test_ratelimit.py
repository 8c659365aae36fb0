from __future__ import annotations

import asyncio

import pytest

from albumen.authn.ratelimit import LoginThrottle
from albumen.config import RateLimitSettings, Settings
from albumen.kit.errors import TooManyRequests


def throttle(
    per_ip: int = 5, per_account: int = 3, window: int = 60, redis_url: str | None = None
) -> LoginThrottle:
    limits = RateLimitSettings(login_per_ip=per_ip, login_per_account=per_account, window_seconds=window)
    return LoginThrottle.from_settings(Settings(rate_limit=limits, redis_url=redis_url))  # type: ignore[call-arg]


async def test_account_limit_trips_after_n_failures() -> None:
    limiter = throttle()
    for _ in range(3):
        await limiter.check("1.1.1.1", "a@x.com")
        await limiter.failed("1.1.1.1", "a@x.com")
    with pytest.raises(TooManyRequests) as caught:
        await limiter.check("2.2.2.2", "A@X.com")
    assert 1 <= caught.value.retry_after <= 60


async def test_ip_limit_covers_many_accounts() -> None:
    limiter = throttle(per_ip=4, per_account=100)
    for n in range(4):
        await limiter.failed("9.9.9.9", f"user{n}@x.com")
    with pytest.raises(TooManyRequests):
        await limiter.check("9.9.9.9", "fresh@x.com")
    await limiter.check("8.8.8.8", "fresh@x.com")


async def test_success_clears_the_account_but_not_the_ip() -> None:
    limiter = throttle(per_ip=3, per_account=2)
    await limiter.failed("1.1.1.1", "a@x.com")
    await limiter.failed("1.1.1.1", "a@x.com")
    with pytest.raises(TooManyRequests):
        await limiter.check("2.2.2.2", "a@x.com")
    await limiter.succeeded("a@x.com")
    await limiter.check("1.1.1.1", "a@x.com")
    await limiter.failed("1.1.1.1", "b@x.com")
    with pytest.raises(TooManyRequests):
        await limiter.check("1.1.1.1", "c@x.com")


async def test_window_expires() -> None:
    limiter = throttle(per_ip=100, per_account=1, window=1)
    await limiter.failed("1.1.1.1", "a@x.com")
    with pytest.raises(TooManyRequests):
        await limiter.check("1.1.1.1", "a@x.com")
    await asyncio.sleep(1.1)
    await limiter.check("1.1.1.1", "a@x.com")


async def test_memory_storage_forgets_expired_keys() -> None:
    limiter = throttle(per_ip=100, per_account=5, window=1)
    for n in range(50):
        await limiter.failed(f"10.0.0.{n}", f"user{n}@x.com")
    storage = limiter.per_ip.limiter.storage
    assert len(storage.events) == 100  # type: ignore[union-attr]
    await asyncio.sleep(1.1)
    await limiter.failed("10.0.1.1", "late@x.com")  # a later hit runs the storage's expiry sweep
    await asyncio.sleep(0.1)
    assert len(storage.events) <= 2  # type: ignore[union-attr]


async def test_servers_sharing_redis_share_the_count(redis_url: str) -> None:
    first, second = throttle(per_account=3, redis_url=redis_url), throttle(per_account=3, redis_url=redis_url)
    await first.failed("1.1.1.1", "shared@x.com")
    await second.failed("2.2.2.2", "shared@x.com")
    await first.check("3.3.3.3", "shared@x.com")
    await second.failed("2.2.2.2", "shared@x.com")
    with pytest.raises(TooManyRequests):
        await first.check("3.3.3.3", "shared@x.com")
    await second.succeeded("shared@x.com")
    await first.check("3.3.3.3", "shared@x.com")


async def test_servers_without_redis_count_alone() -> None:
    first, second = throttle(per_account=2), throttle(per_account=2)
    await first.failed("1.1.1.1", "alone@x.com")
    await first.failed("1.1.1.1", "alone@x.com")
    with pytest.raises(TooManyRequests):
        await first.check("3.3.3.3", "alone@x.com")
    await second.check("3.3.3.3", "alone@x.com")
