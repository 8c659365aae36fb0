"""/sync: the mobile app's change stream and its checkpoints (session logins only, not API keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import StreamingResponse

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.sync.service import SyncService

router = ImmichRouter()
JSON_LINES = "application/jsonlines+json"


def sync_service(db: DbDep, container: ContainerDep) -> SyncService:
    return SyncService(db, container.database)


Service = Annotated[SyncService, Depends(sync_service)]


@router.operation("getSyncStream", response_class=StreamingResponse)
async def get_sync_stream(body: dto.SyncStreamDto, auth: Auth, service: Service) -> StreamingResponse:
    # Resets and refusals are settled (and committed) before the body, which reads in its own transaction.
    return StreamingResponse(await service.stream(auth, body), media_type=JSON_LINES)


@router.operation("getSyncAck")
async def get_sync_ack(auth: Auth, service: Service) -> list[dto.SyncAckDto]:
    return await service.get_acks(auth)


@router.operation("sendSyncAck")
async def send_sync_ack(body: dto.SyncAckSetDto, auth: Auth, service: Service) -> None:
    await service.set_acks(auth, body)


@router.operation("deleteSyncAck")
async def delete_sync_ack(body: dto.SyncAckDeleteDto, auth: Auth, service: Service) -> None:
    await service.delete_acks(auth, body)
