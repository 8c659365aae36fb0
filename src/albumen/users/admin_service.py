"""Administration of accounts: create, change, soft-delete and restore users; their preferences,
statistics and sessions. Every caller here is an admin (the route policy checks it first)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit import crypto
from albumen.kit.errors import BadRequest, Forbidden
from albumen.kit.time import utcnow
from albumen.models import User
from albumen.notifications.service import announce_user_signup
from albumen.sessions.repository import SessionRepository
from albumen.sessions.service import session_dto
from albumen.storage.names import sanitize_storage_label
from albumen.system.config import load_config
from albumen.system.repository import SystemMetadataRepository
from albumen.users.repository import UserRepository
from albumen.users.schemas import null_fields, user_admin_dto
from albumen.users.service import EMAIL_TAKEN, USER_NOT_FOUND, PerUserQueries

LABEL_TAKEN = "Storage label already in use by another account"


class UserAdminService(PerUserQueries):
    def __init__(self, db: AsyncSession, *, config_file: Path | None = None) -> None:
        self.db = db
        self.users = UserRepository(db)
        self.sessions = SessionRepository(db)
        self.system = SystemMetadataRepository(db)
        self.config_file = config_file

    async def _find(self, user_id: uuid.UUID, *, with_deleted: bool = False) -> User:
        user = await self.users.get(user_id, with_deleted=with_deleted)
        if user is None:
            raise BadRequest(USER_NOT_FOUND)
        return user

    async def _dto(self, user: User) -> dto.UserAdminResponseDto:
        return user_admin_dto(user, await self.users.get_metadata(user.id))

    async def _check_email(self, email: str, user_id: uuid.UUID | None = None) -> None:
        # Deleted accounts keep their address until they are removed, so they count as well.
        duplicate = await self.users.get_by_email(email, with_deleted=True)
        if duplicate is not None and duplicate.id != user_id:
            raise BadRequest(EMAIL_TAKEN)

    async def _check_label(self, label: str | None, user_id: uuid.UUID | None = None) -> None:
        if label is None:
            return
        duplicate = await self.users.get_by_storage_label(label)
        if duplicate is not None and duplicate.id != user_id:
            raise BadRequest(LABEL_TAKEN)

    # -- accounts ----------------------------------------------------------------------------------

    async def search(
        self, *, with_deleted: bool = False, user_id: uuid.UUID | None = None
    ) -> list[dto.UserAdminResponseDto]:
        found = await self.users.list(with_deleted=with_deleted, user_id=user_id, newest_first=True)
        metadata = await self.users.metadata_for([user.id for user in found])
        return [user_admin_dto(user, metadata[user.id]) for user in found]

    async def create(self, body: dto.UserAdminCreateDto) -> dto.UserAdminResponseDto:
        issues = null_fields(body, ("shouldChangePassword", "notify", "isAdmin"))
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        config = await load_config(self.system, self.config_file)
        if not config["oauth"]["enabled"] and not body.password:
            raise BadRequest("password is required")
        email = str(body.email).lower()
        await self._check_email(email)
        label = sanitize_storage_label(body.storageLabel)
        await self._check_label(label)
        user = await self.users.create(
            email=email,
            name=body.name,
            password=await crypto.hash_secret(body.password) if body.password else "",
            pin_code=await crypto.hash_secret(body.pinCode) if body.pinCode else None,
            is_admin=bool(body.isAdmin),
            should_change_password=True if body.shouldChangePassword is None else body.shouldChangePassword,
            avatar_color=body.avatarColor.value if body.avatarColor else None,
            storage_label=label,
            quota_size_in_bytes=body.quotaSizeInBytes,
        )
        if body.notify:
            announce_user_signup(self.db, user.id, body.password)
        return user_admin_dto(user, {})

    async def get(self, user_id: uuid.UUID) -> dto.UserAdminResponseDto:
        return await self._dto(await self._find(user_id, with_deleted=True))

    async def update(
        self, auth: AuthContext, user_id: uuid.UUID, body: dto.UserAdminUpdateDto
    ) -> dto.UserAdminResponseDto:
        issues = null_fields(body, ("email", "password", "name", "shouldChangePassword", "isAdmin"))
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        user = await self._find(user_id)
        sent = body.model_fields_set
        if body.isAdmin is not None and body.isAdmin != auth.user.is_admin and auth.user.id == user_id:
            raise BadRequest("Admin status can only be changed by another admin")
        changes: dict[str, Any] = {}
        if body.email is not None:
            changes["email"] = str(body.email).lower()
            await self._check_email(changes["email"], user_id)
        if "storageLabel" in sent:
            changes["storage_label"] = sanitize_storage_label(body.storageLabel)
            await self._check_label(changes["storage_label"], user_id)
        if body.name is not None:
            changes["name"] = body.name
        if body.password:
            changes["password"] = await crypto.hash_secret(body.password)
        if "pinCode" in sent:
            changes["pin_code"] = await crypto.hash_secret(body.pinCode) if body.pinCode else None
        if "avatarColor" in sent:
            changes["avatar_color"] = body.avatarColor.value if body.avatarColor else None
        if body.shouldChangePassword is not None:
            changes["should_change_password"] = body.shouldChangePassword
        if body.isAdmin is not None:
            changes["is_admin"] = body.isAdmin
        if "quotaSizeInBytes" in sent:
            changes["quota_size_in_bytes"] = body.quotaSizeInBytes
            if body.quotaSizeInBytes != user.quota_size_in_bytes:
                await self.users.sync_usage(user_id)
        # Always written, so updatedAt moves even when nothing else does (as in Immich).
        user = await self.users.update(user_id, updated_at=utcnow(), **changes)
        return await self._dto(user)

    async def delete(
        self, auth: AuthContext, user_id: uuid.UUID, body: dto.UserAdminDeleteDto
    ) -> dto.UserAdminResponseDto:
        """Soft delete: the account stops working at once (sessions and keys of deleted users are
        refused) and can be restored. `force` marks it for removal by the purge job instead."""
        await self._find(user_id)
        if auth.user.id == user_id:
            raise Forbidden("Cannot delete your own account")
        now = utcnow()
        await self.users.set_owned_albums_deleted(user_id, now)
        status = dto.UserStatus.removing if body.force else dto.UserStatus.deleted
        user = await self.users.update(user_id, status=status.value, deleted_at=now)
        return await self._dto(user)

    async def restore(self, user_id: uuid.UUID) -> dto.UserAdminResponseDto:
        user = await self._find(user_id, with_deleted=True)
        if user.status == dto.UserStatus.removing:
            # Marked for removal (a forced delete): as far as the API is concerned it is gone.
            raise BadRequest(USER_NOT_FOUND)
        await self.users.set_owned_albums_deleted(user_id, None)
        return await self._dto(await self.users.restore(user_id))

    # -- what belongs to an account ----------------------------------------------------------------

    async def get_preferences(self, user_id: uuid.UUID) -> dto.UserPreferencesResponseDto:
        await self._find(user_id, with_deleted=True)
        return await self._preferences(user_id)

    async def update_preferences(
        self, user_id: uuid.UUID, body: dto.UserPreferencesUpdateDto
    ) -> dto.UserPreferencesResponseDto:
        await self._find(user_id)
        return await self._update_preferences(user_id, body)

    async def statistics(
        self,
        user_id: uuid.UUID,
        *,
        visibility: dto.AssetVisibility | None = None,
        is_favorite: bool | None = None,
        is_trashed: bool | None = None,
    ) -> dto.AssetStatsResponseDto:
        counts = await self.users.asset_counts(
            user_id,
            visibility=visibility.value if visibility else None,
            is_favorite=is_favorite,
            is_trashed=is_trashed,
        )
        return dto.AssetStatsResponseDto(
            images=counts.get("IMAGE", 0), videos=counts.get("VIDEO", 0), total=sum(counts.values())
        )

    async def calendar_heatmap(
        self,
        auth: AuthContext,
        user_id: uuid.UUID,
        start: date | None,
        end: date | None,
        kind: dto.CalendarHeatmapType,
    ) -> dto.CalendarHeatmapResponseDto:
        # Immich lets any user read anyone's activity here; Albumen keeps it to admins and the user.
        if not auth.user.is_admin and auth.user.id != user_id:
            raise Forbidden("Forbidden")
        await self._find(user_id)
        return await self._calendar_heatmap(user_id, start, end, kind)

    async def sessions_of(self, user_id: uuid.UUID) -> list[dto.SessionResponseDto]:
        return [session_dto(session) for session in await self.sessions.list_for_user(user_id)]
