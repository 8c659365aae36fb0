"""`albumen serve` as a real subprocess on a free loopback port, for black-box and client tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.postgres import free_port

ALBUMEN = [sys.executable, "-m", "albumen.cli.main"]


@dataclass
class RunningServer:
    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"{self.base_url}/api"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(
    data_dir: Path,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 90,
) -> RunningServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALBUMEN_")}
    env.update(
        ALBUMEN_HOST="127.0.0.1",
        ALBUMEN_PORT=str(port),
        ALBUMEN_DATA_DIR=str(data_dir),
        ALBUMEN_LOG_LEVEL="info",
    )
    if database_url:
        env["ALBUMEN_DATABASE_URL"] = database_url
    env.update(extra_env or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-server.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen([*ALBUMEN, "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}", data_dir, process, log_path, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"albumen serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.api}/server/ping", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop(signal.SIGKILL)
    raise TimeoutError(f"albumen serve did not answer within {timeout}s:\n{server.log()}")


def assert_no_traceback(server: RunningServer) -> None:
    """A server that answered every bad request properly logged no traceback."""
    log = server.log()
    first = log.find("Traceback")
    assert first < 0, log[max(0, first - 500) : first + 3000]


@contextmanager
def serving_on(
    postgres_url: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """`albumen serve` on a fresh database of the test run's PostgreSQL; checked for tracebacks."""
    from tests.support.databases import fresh_database

    running = start_server(data_dir, asyncio.run(fresh_database(postgres_url)), extra_env)
    try:
        yield running
    finally:
        running.stop()
        assert_no_traceback(running)
