"""Where job handlers are registered, and the two ways workers run: inside `albumen serve` and as
`albumen worker --queues ...` processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterable

from albumen.config import Settings
from albumen.container import Container
from albumen.events.socket import RedisEventPublisher
from albumen.jobs.queue import JobQueue
from albumen.jobs.schemas import QueueName
from albumen.kit.db import Database, create_engine
from albumen.kit.startup import prepare
from albumen.memories import tasks as memories_tasks
from albumen.notifications import tasks as notifications_tasks
from albumen.sessions import tasks as sessions_tasks
from albumen.sync import tasks as sync_tasks
from albumen.tags import tasks as tags_tasks
from albumen.users import tasks as users_tasks

log = logging.getLogger("albumen.jobs")


def register_handlers(container: Container) -> None:
    """Every job handler, in one list that `serve` and `worker` share so all processes agree.

    A domain adds its handlers here, closing over what they need, e.g.
    `container.jobs.register(JobName.AssetExtractMetadata, QueueName.metadataExtraction, handler)`.
    """
    from albumen.backups import tasks as backups
    from albumen.edits import tasks as edits
    from albumen.media import jobs as media_jobs  # the media stack loads only where jobs run
    from albumen.orphans import tasks as orphans

    media_jobs.register(container)
    users_tasks.register(container)
    sessions_tasks.register(container)
    sync_tasks.register(container)
    backups.register(container)
    orphans.register(container)
    memories_tasks.register(container)
    edits.register(container)
    tags_tasks.register(container)
    notifications_tasks.register(container)


@contextlib.asynccontextmanager
async def jobs_running(
    container: Container, queues: Iterable[QueueName] = QueueName
) -> AsyncIterator[JobQueue]:
    """Registers the handlers, starts the job queue with workers for `queues`, stops it on exit."""
    register_handlers(container)
    await container.jobs.start(workers=queues)
    try:
        yield container.jobs
    finally:
        await container.jobs.stop()


async def run_worker(settings: Settings, queues: list[QueueName]) -> None:
    """`albumen worker`: runs the named queues until SIGTERM or SIGINT, then stops gracefully (running
    jobs get the grace period, then go back to the queue). Raises StartupError if it cannot start."""
    runtime = await prepare(settings)
    database = Database(create_engine(runtime.database.url, pool_size=2))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    publisher = RedisEventPublisher(settings.redis_url) if settings.redis_url else None
    try:
        container = Container.build(settings, database, runtime.storage)
        if publisher is not None:
            container.events.subscribe(publisher.deliver)
        else:
            log.warning(
                "without ALBUMEN_REDIS_URL the client events of jobs run here (on_upload_success, ...) "
                "reach no app; set it on this worker and on every `albumen serve`"
            )
        async with jobs_running(container, queues) as jobs:
            idle = [q.value for q in queues if q not in jobs.worker_queues]
            if idle:
                log.warning("no job handlers for these queues yet; not running them", extra={"queues": idle})
            log.info("albumen worker ready", extra={"queues": [q.value for q in jobs.worker_queues]})
            await stop.wait()
            log.info("albumen worker stopping")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if publisher is not None:
            await publisher.close()
        await database.dispose()
        await asyncio.to_thread(runtime.stop)
