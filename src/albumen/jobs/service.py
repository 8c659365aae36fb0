"""The admin use cases of Immich's job APIs (`/jobs`, `/queues`): status, pause/resume, empty, start a
queue's 'queue all' job, create a manual job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.immich import dto
from albumen.jobs.queue import JobQueue
from albumen.jobs.schemas import (
    MANUAL_JOBS,
    QUEUE_START_JOBS,
    JobState,
    ManualJobName,
    QueueCounts,
    QueueName,
)
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest


def _statistics(counts: QueueCounts) -> dto.QueueStatisticsDto:
    return dto.QueueStatisticsDto(
        active=counts.active,
        completed=counts.completed,
        failed=counts.failed,
        delayed=counts.delayed,
        waiting=counts.waiting,
        paused=counts.paused,
    )


def _legacy(queue: dto.QueueResponseDto) -> dto.QueueResponseLegacyDto:
    return dto.QueueResponseLegacyDto(
        jobCounts=queue.statistics,
        queueStatus=dto.QueueStatusLegacyDto(isActive=queue.statistics.active > 0, isPaused=queue.isPaused),
    )


class QueueService:
    def __init__(self, db: AsyncSession, jobs: JobQueue) -> None:
        self.db = db
        self.jobs = jobs
        self.repository = jobs.repository(db)

    async def all(self) -> list[dto.QueueResponseDto]:
        counts = await self.repository.counts()
        paused = await self.repository.paused_queues()
        return [
            dto.QueueResponseDto(name=queue, isPaused=queue in paused, statistics=_statistics(counts[queue]))
            for queue in QueueName
        ]

    async def get(self, queue: QueueName) -> dto.QueueResponseDto:
        return next(found for found in await self.all() if found.name == queue)

    async def all_legacy(self) -> dto.QueuesResponseLegacyDto:
        return dto.QueuesResponseLegacyDto(**{queue.name.value: _legacy(queue) for queue in await self.all()})

    async def update(self, queue: QueueName, body: dto.QueueUpdateDto) -> dto.QueueResponseDto:
        if body.isPaused is True:
            if queue == QueueName.backgroundTask:
                raise BadRequest("The BackgroundTask queue cannot be paused")
            await self.repository.set_paused(queue, True)
        elif body.isPaused is False:
            await self.repository.set_paused(queue, False)
        return await self.get(queue)

    async def jobs_of(
        self, queue: QueueName, states: list[dto.QueueJobStatus] | None
    ) -> list[dto.QueueJobResponseDto]:
        wanted = [JobState(state.value) for state in states] if states else None
        return [
            dto.QueueJobResponseDto(
                id=job.id, name=dto.JobName(job.name), data=job.data, timestamp=job.queued_at
            )
            for job in await self.repository.list_jobs(queue, wanted)
            if job.name in dto.JobName.__members__.values()
        ]

    async def empty(self, queue: QueueName, body: dto.QueueDeleteDto) -> None:
        await self.repository.empty(queue)
        if body.failed:
            await self.repository.clear_failed(queue)

    async def command_legacy(self, queue: QueueName, body: dto.QueueCommandDto) -> dto.QueueResponseLegacyDto:
        match body.command:
            case dto.QueueCommand.start:
                await self._start(queue, force=bool(body.force))
            case dto.QueueCommand.pause:
                await self.repository.set_paused(queue, True)
            case dto.QueueCommand.resume:
                await self.repository.set_paused(queue, False)
            case dto.QueueCommand.empty:
                await self.repository.empty(queue)
            case dto.QueueCommand.clear_failed:
                await self.repository.clear_failed(queue)
        return _legacy(await self.get(queue))

    async def _start(self, queue: QueueName, *, force: bool) -> None:
        if await self.repository.is_active(queue):
            raise BadRequest("Job is already running")
        if queue not in QUEUE_START_JOBS:
            raise BadRequest(f"Invalid job name: {queue.value}")
        name, takes_force = QUEUE_START_JOBS[queue]
        self.jobs.require(name)  # a queue whose job is not built yet is refused, not quietly ignored
        side_effects(self.db).queue(name, {"force": force} if takes_force else {})

    async def create_manual(self, name: ManualJobName) -> None:
        job, data = MANUAL_JOBS[name]
        self.jobs.require(job)
        side_effects(self.db).queue(job, data)
