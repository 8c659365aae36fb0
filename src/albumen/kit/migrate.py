"""Schema migrations (Alembic), run at start by `serve` and on demand by `albumen migrate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
OPTIONAL_EXTENSIONS = ("vector", "pg_trgm")


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def ensure_extensions(engine: AsyncEngine) -> list[str]:
    """Creates the extensions later capabilities use where the server has them; returns those present."""
    present: list[str] = []
    for name in OPTIONAL_EXTENSIONS:
        async with engine.connect() as connection:
            available = await connection.exec_driver_sql(
                "SELECT 1 FROM pg_available_extensions WHERE name = $1", (name,)
            )
            if available.first() is None:
                continue
            await connection.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
            await connection.commit()
            present.append(name)
    return present


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await ensure_extensions(engine)
    async with engine.connect() as connection:
        config = alembic_config()

        def _upgrade(sync_connection: object) -> None:
            config.attributes["connection"] = sync_connection
            command.upgrade(config, revision)

        await connection.run_sync(_upgrade)
        await connection.commit()


def upgrade_blocking(engine: AsyncEngine) -> None:
    asyncio.run(upgrade(engine))
