from __future__ import annotations

import pytest

from albumen.authn.ratelimit import LoginThrottle, SlidingWindowLimiter
from albumen.kit.errors import TooManyRequests


def throttle(per_ip: int = 5, per_account: int = 3, window: float = 60) -> LoginThrottle:
    return LoginThrottle(SlidingWindowLimiter(per_ip, window), SlidingWindowLimiter(per_account, window))


def test_account_limit_trips_after_n_failures() -> None:
    limiter = throttle()
    for _ in range(3):
        limiter.check("1.1.1.1", "a@x.com")
        limiter.failed("1.1.1.1", "a@x.com")
    with pytest.raises(TooManyRequests) as caught:
        limiter.check("2.2.2.2", "A@X.com")
    assert caught.value.retry_after >= 1


def test_ip_limit_covers_many_accounts() -> None:
    limiter = throttle(per_ip=4, per_account=100)
    for n in range(4):
        limiter.failed("9.9.9.9", f"user{n}@x.com")
    with pytest.raises(TooManyRequests):
        limiter.check("9.9.9.9", "fresh@x.com")
    limiter.check("8.8.8.8", "fresh@x.com")


def test_success_clears_the_account_but_not_the_ip() -> None:
    limiter = throttle(per_ip=10, per_account=2)
    limiter.failed("1.1.1.1", "a@x.com")
    limiter.failed("1.1.1.1", "a@x.com")
    limiter.succeeded("a@x.com")
    limiter.check("1.1.1.1", "a@x.com")


def test_window_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("albumen.authn.ratelimit.time.monotonic", lambda: now[0])
    limiter = throttle(per_ip=100, per_account=1, window=10)
    limiter.failed("1.1.1.1", "a@x.com")
    with pytest.raises(TooManyRequests):
        limiter.check("1.1.1.1", "a@x.com")
    now[0] += 10.5
    limiter.check("1.1.1.1", "a@x.com")
