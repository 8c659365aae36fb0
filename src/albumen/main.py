"""ASGI app factory. The lifespan starts everything in order and stops it in reverse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from albumen.config import Settings
from albumen.container import Container
from albumen.events.socket import SocketGateway
from albumen.http.errors import install_error_handlers
from albumen.http.middleware import RequestContextMiddleware, TrailingSlashMiddleware
from albumen.immich.spec import IMMICH_VERSION
from albumen.jobs.schemas import QueueName
from albumen.jobs.tasks import jobs_running
from albumen.kit.db import Database, create_engine
from albumen.kit.startup import Runtime, prepare
from albumen.system.repository import SystemMetadataRepository
from albumen.system.service import record_geodata
from albumen.system.tasks import housekeeping, schedules
from albumen.users.files import adopt_legacy_profile_folder

log = logging.getLogger("albumen")
API_PREFIX = "/api"


def _routers() -> list[object]:
    from albumen.activities.endpoints import router as activities
    from albumen.albums.endpoints import router as albums
    from albumen.api_keys.endpoints import router as api_keys
    from albumen.assets.endpoints import router as assets
    from albumen.authn.endpoints import router as authn
    from albumen.downloads.endpoints import router as downloads
    from albumen.edits.endpoints import router as edits
    from albumen.jobs.endpoints import router as jobs
    from albumen.map.endpoints import router as map_
    from albumen.memories.endpoints import router as memories
    from albumen.notifications.endpoints import router as notifications
    from albumen.oauth.endpoints import router as oauth
    from albumen.partners.endpoints import router as partners
    from albumen.people.endpoints import router as people
    from albumen.search.endpoints import router as search
    from albumen.sessions.endpoints import router as sessions
    from albumen.shared_links.endpoints import router as shared_links
    from albumen.stacks.endpoints import router as stacks
    from albumen.streaming.endpoints import router as streaming
    from albumen.sync.endpoints import router as sync
    from albumen.system.endpoints import router as system
    from albumen.system.health import router as health
    from albumen.tags.endpoints import router as tags
    from albumen.timeline.endpoints import router as timeline
    from albumen.trash.endpoints import router as trash
    from albumen.uploads.endpoints import router as uploads
    from albumen.users.admin_endpoints import router as users_admin
    from albumen.users.endpoints import router as users

    return [
        authn, oauth, assets, uploads, albums, trash, downloads, api_keys, sessions, users, users_admin,
        system, health, jobs, stacks, memories, sync, map_, edits, streaming, partners, timeline, search,
        notifications, people, shared_links, tags, activities,
    ]  # fmt: skip


def create_app(settings: Settings, prepared: Runtime | None = None) -> FastAPI:
    """`prepared`: database and storage the caller already brought up (serve does, to fail cleanly)."""
    gateway = SocketGateway(settings.redis_url)  # with Redis, events of any process reach its clients

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ready = prepared or await prepare(settings)
        database = Database(create_engine(ready.database.url, pool_size=settings.db_pool_size))
        try:
            async with database.unit_of_work() as session:
                await SystemMetadataRepository(session).record_version(IMMICH_VERSION)
                await record_geodata(SystemMetadataRepository(session))
            settings.media_dir.mkdir(parents=True, exist_ok=True)
            container = app.state.container = Container.build(settings, database, ready.storage)
            if moved := await adopt_legacy_profile_folder(settings.data_dir, ready.storage["profile"]):
                log.info("profile images moved to the profile location", extra={"count": moved})
            log.info("albumen ready", extra={"embedded_database": ready.database.embedded is not None})
            if not settings.job_workers:
                log.info(
                    "job workers are off here (ALBUMEN_JOB_WORKERS=false): `albumen worker`s run the jobs"
                )
            async with (
                housekeeping(container, settings.housekeeping_interval_seconds),
                jobs_running(container, QueueName if settings.job_workers else ()),
                schedules(container, settings.schedule_check_seconds),
                gateway.serving(container),
            ):
                yield
        finally:
            await database.dispose()
            # Stopped here, not by the caller: the lifespan's end is the last code that surely runs.
            await asyncio.to_thread(ready.stop)
            log.info("albumen stopped")

    app = FastAPI(
        title="Albumen",
        version=IMMICH_VERSION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router, prefix=API_PREFIX)  # type: ignore[arg-type]
    from albumen.system.endpoints import public_router as system_public
    from albumen.system.health import well_known
    from albumen.telemetry.metrics import router as metrics

    app.include_router(well_known)
    app.include_router(system_public)
    app.include_router(metrics)
    app.mount(f"{API_PREFIX}/socket.io", gateway.asgi_app)
    from albumen.shared_links.endpoints import share_page_tags
    from albumen.web.endpoints import install_web

    install_web(app, settings, share_page_tags)  # its catch-all route must come after every other route
    app.add_middleware(TrailingSlashMiddleware, prefix=API_PREFIX)
    app.add_middleware(RequestContextMiddleware)
    return app
