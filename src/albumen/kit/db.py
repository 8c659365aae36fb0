"""Database engine and the unit of work: one transaction per request or job, committed at the boundary."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from sqlalchemy import ColumnElement, any_, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import QueryableAttribute

from albumen.kit.effects import Delivery, SideEffects, attach


def async_url(url: str) -> str:
    """postgresql://… as given by operators (or pgserver) → the asyncpg dialect URL SQLAlchemy wants."""
    parsed = urlparse(url)
    scheme = "postgresql+asyncpg"
    query = parse_qs(parsed.query)
    return urlunparse(parsed._replace(scheme=scheme, query=urlencode(query, doseq=True)))


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Set by the container: where events and jobs recorded by a unit of work go after its commit.
        self.delivery: Delivery | None = None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Commits when the block ends normally, rolls back on any error; then carries out the side
        effects recorded on the session (`kit.effects.side_effects`), or drops them on rollback.

        A service may commit early to hand the connection back while it waits on something slow (an
        upload streaming for an hour); the session begins a new transaction on its next query.
        """
        effects = SideEffects(self.delivery)
        async with self.sessions() as session:
            attach(session, effects)
            try:
                yield session
            except BaseException:
                try:
                    await session.rollback()
                finally:
                    await effects.rolled_back()
                raise
            try:
                await session.commit()
            except BaseException:
                await effects.rolled_back()
                raise
        await effects.committed()  # with the connection back in the pool

    async def reachable(self) -> bool:
        """Whether a connection can be had and answers a trivial query (the readiness probe)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def among(column: QueryableAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY($1)`: one array parameter however many values, where `IN (…)` binds one
    parameter each and fails past PostgreSQL's 32,767."""
    element: ColumnElement[Any] = column.__clause_element__()  # the Core column behind an ORM attribute
    return column == any_(literal(list(dict.fromkeys(values)), ARRAY(element.type)))
