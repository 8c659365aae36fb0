"""Opening the database from a command: the embedded server when no URL is configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from albumen.config import Settings
from albumen.kit.db import Database, create_engine
from albumen.kit.embedded_pg import EmbeddedPostgres
from albumen.kit.migrate import upgrade


@asynccontextmanager
async def database_session(settings: Settings) -> AsyncIterator[Database]:
    embedded = EmbeddedPostgres(settings.postgres_dir) if settings.database_url is None else None
    url = await asyncio.to_thread(embedded.start) if embedded else settings.database_url
    assert url is not None
    database = Database(create_engine(url, pool_size=2))
    try:
        await upgrade(database.engine)
        yield database
    finally:
        await database.dispose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
