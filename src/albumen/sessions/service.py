"""A user's sessions: list, create child sessions, update, delete, lock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit import crypto
from albumen.kit.errors import BadRequest
from albumen.kit.time import utcnow
from albumen.models import Session
from albumen.sessions.repository import SessionRepository


def session_dto(session: Session, current_id: uuid.UUID | None = None) -> dto.SessionResponseDto:
    """`expiresAt` is optional in the spec and Immich leaves it out for a session that never expires;
    routes returning this serialize with `response_model_exclude_unset` so it stays absent."""
    expiry = {"expiresAt": session.expires_at.isoformat()} if session.expires_at else {}
    return dto.SessionResponseDto(
        id=session.id,
        createdAt=session.created_at.isoformat(),
        updatedAt=session.updated_at.isoformat(),
        current=session.id == current_id,
        deviceOS=session.device_os,
        deviceType=session.device_type,
        appVersion=session.app_version or None,
        isPendingSyncReset=session.is_pending_sync_reset,
        **expiry,
    )


class SessionService:
    def __init__(self, db: AsyncSession) -> None:
        self.sessions = SessionRepository(db)
        self.access = AccessService(db)

    async def list(self, auth: AuthContext) -> list[dto.SessionResponseDto]:
        current = auth.session.id if auth.session else None
        return [session_dto(s, current) for s in await self.sessions.list_for_user(auth.user.id)]

    async def create(self, auth: AuthContext, body: dto.SessionCreateDto) -> dto.SessionCreateResponseDto:
        if auth.session is None:
            raise BadRequest("This endpoint can only be used with a session token")
        token = crypto.random_token()
        session = await self.sessions.create(
            token=crypto.token_digest(token),
            user_id=auth.user.id,
            parent_id=auth.session.id,
            expires_at=utcnow() + timedelta(seconds=body.duration) if body.duration else None,
            device_type=body.deviceType or "",
            device_os=body.deviceOS or "",
        )
        return dto.SessionCreateResponseDto(**session_dto(session).model_dump(), token=token)

    async def update(
        self, auth: AuthContext, session_id: uuid.UUID, body: dto.SessionUpdateDto
    ) -> dto.SessionResponseDto:
        await self.access.require(auth, dto.Permission.session_update, [session_id])
        changes = body.model_dump(exclude_none=True)
        if not changes:
            raise BadRequest("No fields to update")
        session = await self.sessions.update(session_id, is_pending_sync_reset=body.isPendingSyncReset)
        assert session is not None
        return session_dto(session, auth.session.id if auth.session else None)

    async def delete(self, auth: AuthContext, session_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.authDevice_delete, [session_id])
        await self.sessions.delete(session_id)

    async def delete_all(self, auth: AuthContext) -> None:
        await self.sessions.delete_all_for_user(auth.user.id, keep=auth.session.id if auth.session else None)

    async def lock(self, auth: AuthContext, session_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.session_lock, [session_id])
        await self.sessions.update(session_id, pin_expires_at=None)
