"""Does a burst of logins slow everybody else down? p50/p95 of cheap requests with and without
20 logins running in parallel, as a ratio to the quiet run on the same server.

    .venv/bin/python benchmarks/login.py [--logins 20] [--samples 200] [--seconds 60] [--dir DIR]

Starts a real `albumen serve` (embedded PostgreSQL) in a temporary folder, signs up the admin, then
measures GET /api/server/ping and an authenticated GET /api/users/me one after another: first with
nothing else running, then while `--logins` clients log in over and over (argon2, ~180 ms of CPU
each). A ratio near 1 means logins do not hold up other requests; the old event-loop hashing made
every request wait for the hashes queued before it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import start_server  # noqa: E402
from tests.support.users import ADMIN_EMAIL, ADMIN_PASSWORD, sign_up_admin  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def sample(
    request: Callable[[], Awaitable[httpx.Response]], count: int, seconds: float = float("inf")
) -> list[float]:
    """Latencies in milliseconds of `count` requests made one after another (fewer if `seconds` run out:
    with the old hashing on the event loop one request could wait seconds)."""
    found: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(found) < count and time.perf_counter() < deadline:
        started = time.perf_counter()
        response = await request()
        found.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return found


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
    }


async def measure(base_url: str, logins: int, samples: int, seconds: float) -> dict[str, object]:
    # One connection per login client plus one for the measured requests: nothing waits on the pool.
    limits = httpx.Limits(max_connections=logins + 4, max_keepalive_connections=logins + 4)
    async with httpx.AsyncClient(base_url=f"{base_url}/api", timeout=120, limits=limits) as client:
        admin = await sign_up_admin(client)

        def ping() -> Awaitable[httpx.Response]:
            return client.get("/server/ping")

        def me() -> Awaitable[httpx.Response]:
            return client.get("/users/me", headers=admin.headers)

        await sample(ping, 20)  # warm-up: connections, caches
        await sample(me, 20)
        quiet = {"ping": await sample(ping, samples), "me": await sample(me, samples)}

        stop = asyncio.Event()
        done = 0

        async def log_in_repeatedly() -> None:
            nonlocal done
            while not stop.is_set():
                response = await client.post(
                    "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
                )
                response.raise_for_status()
                done += 1

        crowd = [asyncio.create_task(log_in_repeatedly()) for _ in range(logins)]
        await asyncio.sleep(1.0)  # let every login client get its first request in
        started, before = time.perf_counter(), done
        busy = {"ping": await sample(ping, samples, seconds), "me": await sample(me, samples, seconds)}
        login_rate = (done - before) / (time.perf_counter() - started)
        stop.set()
        await asyncio.gather(*crowd)

    result: dict[str, object] = {
        "logins_in_parallel": logins,
        "logins_per_second": round(login_rate, 2),
        "samples_during_logins": {name: len(values) for name, values in busy.items()},
    }
    for name in ("ping", "me"):
        q, b = summary(quiet[name]), summary(busy[name])
        result[name] = {
            "quiet": q,
            "during_logins": b,
            "p50_ratio": round(b["p50_ms"] / q["p50_ms"], 1),
            "p95_ratio": round(b["p95_ms"] / q["p95_ms"], 1),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60, help="at most this long per endpoint under load")
    parser.add_argument("--dir", type=Path, default=None, help="where the server's data goes (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        # The login clients would trip the failed-login limits only on a wrong password; they send
        # the right one, so the limits stay at their defaults.
        server = start_server(Path(folder) / "data", extra_env={"ALBUMEN_LOG_LEVEL": "warning"})
        try:
            result = asyncio.run(measure(server.base_url, args.logins, args.samples, args.seconds))
        finally:
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
