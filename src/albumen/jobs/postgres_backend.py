"""The job queues in the server's own PostgreSQL (saq's tables), the embedded default."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from saq import Status
from saq.queue.postgres import PostgresQueue
from sqlalchemy.engine import URL

from albumen.jobs.backend import SWEPT_ERROR, BrokerQueue, JobBackend, QueueHooks
from albumen.jobs.repository import JOBS_TABLE, JobRepository
from albumen.jobs.schemas import QueueName
from albumen.kit.db import Database
from albumen.kit.startup import StartupError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# saq's advisory locks (schema set-up, one sweeper per queue) use this first key, away from 0.
LOCK_KEYSPACE = 0x616C62
CONNECT_TIMEOUT_SECONDS = 15.0


def libpq_conninfo(url: URL) -> str:
    """The engine's URL as psycopg's connection string (a socket folder in `?host=` survives intact)."""
    params: dict[str, Any] = {
        key: value[-1] if isinstance(value, tuple) else value for key, value in url.query.items()
    }
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("password", url.password),
        ("dbname", url.database),
    ):
        if value not in (None, ""):
            params[key] = value
    return make_conninfo("", **params)


class _SchemaOnce:
    """saq creates its tables on connect; 19 queue objects of one process need that done once."""

    def __init__(self) -> None:
        self.ready = False


class PgQueue(BrokerQueue, PostgresQueue):
    """saq's PostgreSQL queue with pause, a full de-duplication, kept failures and a clean release."""

    schema: _SchemaOnce

    async def init_db(self) -> None:
        if self.schema.ready:
            return
        for _ in range(50):
            await super().init_db()
            # saq skips the migration when another process holds its lock; wait for that one to finish.
            if await self._table_exists():
                self.schema.ready = True
                return
            await asyncio.sleep(0.2)
        raise StartupError(f"the job tables ({JOBS_TABLE}) were not created in time")

    async def _table_exists(self) -> bool:
        async with self.pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (JOBS_TABLE,))
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def _dequeue(self) -> None:
        # Checked right before saq's claim query: a pause set by any process holds back every worker
        # from its next claim on (a claim already under way when the flag lands still completes).
        if self._dequeue_lock.locked() or not self._waiting:
            return
        if await self.hooks.is_paused(self.queue_name):
            return
        await super()._dequeue()

    async def drop_finished(self, key: str) -> None:
        # saq would refuse the key: it only replaces an older `scheduled` job.
        async with self.pool.connection() as conn:
            await conn.execute(
                f"DELETE FROM {JOBS_TABLE} "  # noqa: S608 - a constant table name, values are bound
                "WHERE key = %s AND status IN ('aborted', 'complete', 'failed')",
                (key,),
            )

    async def drop_waiting(self, key: str) -> None:
        # A claim marks the row active first, so a job a worker took is never deleted here.
        async with self.pool.connection() as conn:
            await conn.execute(
                f"DELETE FROM {JOBS_TABLE} WHERE key = %s AND status = 'queued'",  # noqa: S608 - as above
                (key,),
            )

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return await super().sweep(lock, abort=self.hooks.abort_wait)

    async def release_unclaimed(self) -> None:
        while not self._job_queue.empty():
            await self.update(self._job_queue.get_nowait(), status=Status.QUEUED)

    async def close(self) -> None:
        await self._listener.close()
        await self.disconnect()


class PostgresBackend(JobBackend):
    def __init__(self, database: Database) -> None:
        self.database = database
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None

    async def open(self, worker_queues: int, hooks: QueueHooks) -> dict[QueueName, BrokerQueue]:
        # Each worker holds one connection for LISTEN and briefly more to claim and update jobs.
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            libpq_conninfo(self.database.engine.url),
            min_size=1,
            max_size=4 + 2 * worker_queues,
            open=False,
            kwargs={"autocommit": True},
            name="albumen-jobs",
            check=AsyncConnectionPool.check_connection,
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except PoolTimeout:
            await pool.close()
            raise StartupError("the job queue cannot connect to the database") from None
        self._pool = pool
        schema = _SchemaOnce()
        queues: dict[QueueName, BrokerQueue] = {}
        for queue in QueueName:
            pg = PgQueue(
                pool=pool,
                name=queue.value,
                saq_lock_keyspace=LOCK_KEYSPACE,
                swept_error_message=SWEPT_ERROR,
                manage_pool_lifecycle=False,
            )
            pg.bind(queue, hooks)
            pg.schema = schema
            await pg.connect()
            queues[queue] = pg
        return queues

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def repository(self, db: AsyncSession) -> JobRepository:
        return JobRepository(db)
