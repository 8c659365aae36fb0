"""A PostgreSQL server on a loopback TCP port for the test run, from the embedded default's wheel."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_tcp_postgres(pgdata: Path) -> tuple[str, Callable[[], None]]:
    from pgserver._commands import initdb, pg_ctl
    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

    user: str | None = None
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root; pgserver keeps an unprivileged user for it
        user = "pgserver"
        ensure_user_exists(user)
        shutil.chown(pgdata, user)
        ensure_prefix_permissions(pgdata)
    initdb(
        ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user
    )
    port = free_port()
    pg_ctl(
        ["-w", "-o", f"-h 127.0.0.1 -p {port} -k {pgdata}", "-l", str(pgdata / "server.log"), "start"],
        pgdata=pgdata,
        user=user,
        timeout=60,
    )

    def stop() -> None:
        if not (pgdata / "postmaster.pid").exists():
            return  # already gone (e.g. another pytest run pruned this old temporary folder)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop
