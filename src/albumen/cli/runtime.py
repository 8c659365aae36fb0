"""Opening the database from a command: the embedded server when no URL is configured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import typer

from albumen.config import Settings
from albumen.kit.db import Database, create_engine
from albumen.kit.startup import StartupError, prepare_database


@asynccontextmanager
async def database_session(settings: Settings) -> AsyncIterator[Database]:
    try:
        prepared = await prepare_database(settings)
    except StartupError as error:
        typer.echo(f"albumen: {error}", err=True)
        raise typer.Exit(2) from None
    database = Database(create_engine(prepared.url, pool_size=2))
    try:
        yield database
    finally:
        await database.dispose()
        await asyncio.to_thread(prepared.stop)
