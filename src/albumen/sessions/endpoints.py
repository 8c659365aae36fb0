"""/sessions: the caller's own devices."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.sessions.service import SessionService

router = ImmichRouter()


def session_service(db: DbDep) -> SessionService:
    return SessionService(db)


Service = Annotated[SessionService, Depends(session_service)]


@router.operation("getSessions", response_model_exclude_unset=True)
async def get_sessions(auth: Auth, service: Service) -> list[dto.SessionResponseDto]:
    return await service.list(auth)


@router.operation("createSession")
async def create_session(
    body: dto.SessionCreateDto, auth: Auth, service: Service
) -> dto.SessionCreateResponseDto:
    return await service.create(auth, body)


@router.operation("deleteAllSessions")
async def delete_all_sessions(auth: Auth, service: Service) -> None:
    await service.delete_all(auth)


@router.operation("updateSession")
async def update_session(
    id: UUID, body: dto.SessionUpdateDto, auth: Auth, service: Service
) -> dto.SessionResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteSession")
async def delete_session(id: UUID, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)


@router.operation("lockSession")
async def lock_session(id: UUID, auth: Auth, service: Service) -> None:
    await service.lock(auth, id)
