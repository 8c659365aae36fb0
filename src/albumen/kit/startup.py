"""Bringing the database up before serving: embedded server or the configured URL, reachable, migrated.

Failures become one StartupError line naming the setting, so an operator never reads a trace.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy.exc import DBAPIError, OperationalError

from albumen.config import Settings
from albumen.kit.db import create_engine
from albumen.kit.embedded_pg import EmbeddedPostgres
from albumen.kit.migrate import upgrade
from albumen.storage.base import StorageBackend, StorageError
from albumen.storage.factory import check_reachable, open_storage, redact

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_SECONDS = 15


class StartupError(Exception):
    pass


@dataclass
class PreparedDatabase:
    url: str
    embedded: EmbeddedPostgres | None

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def _describe(url: str) -> str:
    parsed = urlparse(url)
    where = parsed.hostname or "unix socket"
    return f"{where}:{parsed.port}" if parsed.port else where


async def prepare_database(settings: Settings) -> PreparedDatabase:
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.postgres_dir)
        try:
            url = await asyncio.to_thread(embedded.start)
        except Exception as error:
            raise StartupError(
                f"could not start the embedded PostgreSQL in {settings.postgres_dir} "
                f"(ALBUMEN_DATA_DIR): {error}"
            ) from None
    else:
        url = settings.database_url
    engine = create_engine(url, pool_size=1)
    try:
        await asyncio.wait_for(upgrade(engine), timeout=None if embedded else CONNECT_TIMEOUT_SECONDS * 4)
    except (OSError, DBAPIError, OperationalError, TimeoutError) as error:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0] or type(error).__name__
        raise StartupError(
            f"cannot use the database at {_describe(url)} (ALBUMEN_DATABASE_URL): {reason}"
        ) from None
    finally:
        await engine.dispose()
    return PreparedDatabase(url=url, embedded=embedded)


STORAGE_KINDS = ("originals", "thumbnails", "encoded_video", "profile", "backups")


def storage_url(settings: Settings, kind: str) -> str:
    """The configured location of a kind of file; unset means the media folder in the data dir."""
    url: str | None = getattr(settings.storage, kind)
    return url or settings.media_dir.resolve().as_uri()


async def prepare_storage(settings: Settings) -> dict[str, StorageBackend]:
    """Opens every storage location (kinds sharing a URL share one back-end) and checks it answers."""
    by_url: dict[str, StorageBackend] = {}
    opened: dict[str, StorageBackend] = {}
    for kind in STORAGE_KINDS:
        url = storage_url(settings, kind)
        try:
            if url not in by_url:
                by_url[url] = await asyncio.to_thread(open_storage, url)
                await check_reachable(by_url[url])
        except StorageError as error:
            close_storage(by_url)
            raise StartupError(
                f"storage {kind} at {redact(url)} (ALBUMEN_STORAGE__{kind.upper()}): {error}"
            ) from None
        opened[kind] = by_url[url]
    return opened


def close_storage(storage: dict[str, StorageBackend]) -> None:
    for backend in {id(b): b for b in storage.values()}.values():
        close = getattr(backend, "close", None)
        if close is not None:
            close()


@dataclass
class Runtime:
    """What the server needs brought up before it accepts a request."""

    database: PreparedDatabase
    storage: dict[str, StorageBackend]

    def stop(self) -> None:
        close_storage(self.storage)
        self.storage = {}
        self.database.stop()


async def prepare(settings: Settings) -> Runtime:
    storage = await prepare_storage(settings)
    try:
        database = await prepare_database(settings)
    except BaseException:
        close_storage(storage)
        raise
    return Runtime(database=database, storage=storage)
