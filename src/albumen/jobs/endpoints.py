"""/jobs and /queues: Immich's admin view of the job queues (who may call: the operation table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from albumen.http.deps import ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.jobs.service import QueueService

router = ImmichRouter()


def queue_service(db: DbDep, container: ContainerDep) -> QueueService:
    return QueueService(db, container.jobs)


Service = Annotated[QueueService, Depends(queue_service)]


@router.operation("getQueuesLegacy")
async def get_queues_legacy(service: Service) -> dto.QueuesResponseLegacyDto:
    return await service.all_legacy()


@router.operation("runQueueCommandLegacy")
async def run_queue_command_legacy(
    name: dto.QueueName, body: dto.QueueCommandDto, service: Service
) -> dto.QueueResponseLegacyDto:
    return await service.command_legacy(name, body)


@router.operation("createJob")
async def create_job(body: dto.JobCreateDto, service: Service) -> None:
    await service.create_manual(body.name)


@router.operation("getQueues")
async def get_queues(service: Service) -> list[dto.QueueResponseDto]:
    return await service.all()


@router.operation("getQueue")
async def get_queue(name: dto.QueueName, service: Service) -> dto.QueueResponseDto:
    return await service.get(name)


@router.operation("updateQueue")
async def update_queue(
    name: dto.QueueName, body: dto.QueueUpdateDto, service: Service
) -> dto.QueueResponseDto:
    return await service.update(name, body)


@router.operation("emptyQueue")
async def empty_queue(name: dto.QueueName, body: dto.QueueDeleteDto, service: Service) -> None:
    await service.empty(name, body)


@router.operation("getQueueJobs")
async def get_queue_jobs(
    name: dto.QueueName,
    service: Service,
    status: Annotated[list[dto.QueueJobStatus] | None, Query()] = None,
) -> list[dto.QueueJobResponseDto]:
    return await service.jobs_of(name, status)
