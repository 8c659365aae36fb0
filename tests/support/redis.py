"""Debian's redis-server on a loopback TCP port for a test: no persistence, its files in a temp folder."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from tests.support.postgres import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def start_redis(tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """Starts redis-server in `tmp_path`; returns its URL and the function that stops it."""
    folder = tmp_path / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    deadline = time.monotonic() + 20
    client = redis.Redis.from_url(url)
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stop()
                    raise RuntimeError(f"redis-server did not start (see {folder / 'redis.log'})") from None
                time.sleep(0.05)
    finally:
        client.close()
    return url, stop


def flush(url: str) -> None:
    """Empties the server between tests that share it."""
    client = redis.Redis.from_url(url)
    try:
        client.flushall()
    finally:
        client.close()
