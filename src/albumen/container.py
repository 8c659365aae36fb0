"""The one place that wires implementations together for a running server."""

from __future__ import annotations

from dataclasses import dataclass, field

from albumen.authn.ratelimit import LoginThrottle
from albumen.config import Settings
from albumen.events.bus import EventBus
from albumen.jobs.queue import JobQueue
from albumen.jobs.schemas import RetryPolicy
from albumen.kit.db import Database
from albumen.storage.base import StorageBackend


@dataclass
class Container:
    settings: Settings
    database: Database
    login_throttle: LoginThrottle
    # Keyed by kind: originals, thumbnails, encoded_video, profile, backups.
    storage: dict[str, StorageBackend]
    # Started and stopped by jobs.tasks.jobs_running (serve's lifespan, `albumen worker`).
    jobs: JobQueue
    # Client events for the Socket.IO gateway (events/socket.py), which serve's lifespan subscribes.
    events: EventBus = field(default_factory=EventBus)

    @classmethod
    def build(cls, settings: Settings, database: Database, storage: dict[str, StorageBackend]) -> Container:
        container = cls(
            settings=settings,
            database=database,
            storage=storage,
            jobs=JobQueue(
                database,
                settings,
                retry=RetryPolicy(attempts=settings.job_attempts, delay=settings.job_retry_delay_seconds),
            ),
            login_throttle=LoginThrottle.from_settings(settings),
        )
        # Events and jobs a unit of work records go to this process's bus and queue after its commit.
        database.delivery = container
        return container
