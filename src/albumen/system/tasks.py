"""Housekeeping that runs in the server until the job system's schedules take it over: trash past its
retention, abandoned resumable uploads, and temporaries left by writers that crashed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from albumen.assets.tasks import finish_pending_moves, purge_expired_trash
from albumen.container import Container
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.uploads.repository import PartialUploadStore

log = structlog.get_logger("albumen.housekeeping")


async def run_housekeeping(container: Container) -> dict[str, int]:
    async with container.database.unit_of_work() as db:
        config = await load_config(SystemMetadataRepository(db), container.settings.config_file)
    done = {"moves": await finish_pending_moves(container.database, container.storage)}
    done |= {"trash": 0, "uploads": 0, "temporaries": 0}
    if config["trash"]["enabled"]:
        done["trash"] = await purge_expired_trash(
            container.database, container.storage, int(config["trash"]["days"])
        )
    uploads = PartialUploadStore(container.settings.data_dir / "uploads")
    for upload_id in await uploads.expired():
        await uploads.remove(upload_id)
        done["uploads"] += 1
    stale = container.settings.stale_temporary_seconds  # older than any live writer's
    for backend in {id(b): b for b in container.storage.values()}.values():
        done["temporaries"] += await backend.delete_stale_temporaries(stale)
    return done


@contextlib.asynccontextmanager
async def housekeeping(container: Container, interval_seconds: float) -> AsyncIterator[None]:
    """Runs housekeeping now and every `interval_seconds` while the block is open (0 = never)."""

    async def loop() -> None:
        while True:
            try:
                log.info("housekeeping done", **await run_housekeeping(container))
            except Exception:  # one failed round must not stop the next
                log.exception("housekeeping failed")
            await asyncio.sleep(interval_seconds)

    task = asyncio.create_task(loop()) if interval_seconds > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
