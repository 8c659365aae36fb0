"""A user's own account: profile, preferences, license, onboarding, avatar; other users' public profiles."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit import crypto
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest, NotFound
from albumen.kit.time import utcnow
from albumen.models import User
from albumen.storage.base import StorageBackend
from albumen.system.config import load_config
from albumen.system.licenses import LicenseKind, check_license
from albumen.system.repository import SystemMetadataRepository
from albumen.users.files import SNIFF_BYTES, ChunkSource, ProfileImageStore, accepted_name, sniff
from albumen.users.repository import UserRepository
from albumen.users.schemas import (
    LICENSE_KEY,
    ONBOARDING_KEY,
    PREFERENCES_KEY,
    merge_preferences,
    null_fields,
    preferences,
    preferences_dto,
    preferences_to_store,
    user_admin_dto,
    user_dto,
)

log = logging.getLogger("albumen.users")

USER_NOT_FOUND = "User not found"
EMAIL_TAKEN = "Email is not available"


def remove_image_after_commit(db: AsyncSession, images: ProfileImageStore, key: str) -> None:
    """The file goes once the unit of work has committed (never if it rolls back)."""
    side_effects(db).after_commit(lambda: _remove_quietly(images, key), what="removing a profile image")


def remove_image_on_rollback(db: AsyncSession, images: ProfileImageStore, key: str) -> None:
    side_effects(db).on_rollback(lambda: _remove_quietly(images, key), what="removing a profile image")


async def _remove_quietly(images: ProfileImageStore, key: str) -> None:
    try:
        await images.delete(key)
    except Exception:  # a file left behind is swept later; the request already succeeded
        log.warning("could not remove a replaced profile image", exc_info=True)


HEATMAP_DAYS = 52 * 7


class PerUserQueries:
    """What the user's own routes and the admin's routes for that user share."""

    users: UserRepository

    async def _calendar_heatmap(
        self, user_id: uuid.UUID, start: date | None, end: date | None, kind: dto.CalendarHeatmapType
    ) -> dto.CalendarHeatmapResponseDto:
        """Assets per UTC day, every day of the range present (zero when empty); 52 weeks up to today
        by default, by upload date unless `kind` asks for the capture date."""
        if start is not None and end is not None and start > end:
            issue = {"code": "custom", "path": ["from"], "message": "from: from must be before to"}
            raise BadRequest("Validation failed", errors=[issue])
        last = end or utcnow().date()
        first = start or last - timedelta(days=HEATMAP_DAYS - 1)
        counts = await self.users.assets_per_day(
            user_id,
            datetime.combine(first, time(), UTC),
            datetime.combine(last + timedelta(days=1), time(), UTC),
            by_taken_date=kind == dto.CalendarHeatmapType.Taken,
        )
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        return dto.CalendarHeatmapResponseDto.model_validate(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "series": [{"date": day.isoformat(), "count": counts.get(day, 0)} for day in days],
                "totalCount": sum(counts.get(day, 0) for day in days),
            }
        )

    async def _preferences(self, user_id: uuid.UUID) -> dto.UserPreferencesResponseDto:
        metadata = await self.users.get_metadata(user_id)
        return preferences_dto(preferences(metadata.get(PREFERENCES_KEY)))

    async def _update_preferences(
        self, user_id: uuid.UUID, body: dto.UserPreferencesUpdateDto
    ) -> dto.UserPreferencesResponseDto:
        metadata = await self.users.get_metadata(user_id)
        updated = merge_preferences(preferences(metadata.get(PREFERENCES_KEY)), body)
        await self.users.upsert_metadata(user_id, PREFERENCES_KEY, preferences_to_store(updated))
        return preferences_dto(updated)


class UserService(PerUserQueries):
    def __init__(
        self, db: AsyncSession, *, profile_storage: StorageBackend, config_file: Path | None = None
    ) -> None:
        self.db = db
        self.users = UserRepository(db)
        self.system = SystemMetadataRepository(db)
        self.images = ProfileImageStore(profile_storage)
        self.config_file = config_file

    async def _config(self) -> dict[str, Any]:
        return await load_config(self.system, self.config_file)

    async def _me(self, auth: AuthContext) -> User:
        user = await self.users.get(auth.user.id)
        if user is None:
            raise BadRequest(USER_NOT_FOUND)
        return user

    # -- users -------------------------------------------------------------------------------------

    async def search(self, auth: AuthContext) -> list[dto.UserResponseDto]:
        """Everyone, unless the admin switched `server.publicUsers` off: then a user sees only himself."""
        config = await self._config()
        if auth.user.is_admin or config["server"]["publicUsers"]:
            found = await self.users.list(newest_first=True)
        else:
            found = await self.users.list(user_id=auth.user.id)
        return [user_dto(user) for user in found]

    async def get(self, user_id: uuid.UUID) -> dto.UserResponseDto:
        user = await self.users.get(user_id)
        if user is None:
            raise BadRequest(USER_NOT_FOUND)
        return user_dto(user)

    async def me(self, auth: AuthContext) -> dto.UserAdminResponseDto:
        user = await self._me(auth)
        return user_admin_dto(user, await self.users.get_metadata(user.id))

    async def calendar_heatmap(
        self, auth: AuthContext, start: date | None, end: date | None, kind: dto.CalendarHeatmapType
    ) -> dto.CalendarHeatmapResponseDto:
        return await self._calendar_heatmap(auth.user.id, start, end, kind)

    async def update_me(self, auth: AuthContext, body: dto.UserUpdateMeDto) -> dto.UserAdminResponseDto:
        issues = null_fields(body, ("email", "name", "password"))
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        user = await self._me(auth)
        changes: dict[str, Any] = {}
        if body.email is not None:
            email = str(body.email).lower()
            duplicate = await self.users.get_by_email(email, with_deleted=True)
            if duplicate is not None and duplicate.id != user.id:
                raise BadRequest(EMAIL_TAKEN)
            changes["email"] = email
        if body.name is not None:
            changes["name"] = body.name
        if "avatarColor" in body.model_fields_set:
            changes["avatar_color"] = body.avatarColor.value if body.avatarColor else None
        password = body.model_dump(include={"password"}).get("password")  # a deprecated field
        if password:
            changes["password"] = await crypto.hash_secret(password)
            changes["should_change_password"] = False
        if changes:
            user = await self.users.update(user.id, **changes)
        return user_admin_dto(user, await self.users.get_metadata(user.id))

    # -- preferences -------------------------------------------------------------------------------

    async def get_preferences(self, auth: AuthContext) -> dto.UserPreferencesResponseDto:
        return await self._preferences(auth.user.id)

    async def update_preferences(
        self, auth: AuthContext, body: dto.UserPreferencesUpdateDto
    ) -> dto.UserPreferencesResponseDto:
        return await self._update_preferences(auth.user.id, body)

    # -- license -----------------------------------------------------------------------------------

    async def get_license(self, auth: AuthContext) -> dto.LicenseResponseDto:
        stored = (await self.users.get_metadata(auth.user.id)).get(LICENSE_KEY)
        if not stored:
            raise NotFound("Not Found")
        return dto.LicenseResponseDto(dto.UserLicense.model_validate(stored))

    async def set_license(self, auth: AuthContext, body: dto.LicenseKeyDto) -> dto.LicenseResponseDto:
        """A product key unlocks nothing here, but like Immich only a genuine (signed) one is kept."""
        check_license(body.licenseKey, body.activationKey, (LicenseKind.CLIENT, LicenseKind.SERVER))
        value = {
            "licenseKey": body.licenseKey,
            "activationKey": body.activationKey,
            "activatedAt": utcnow().isoformat(),
        }
        await self.users.upsert_metadata(auth.user.id, LICENSE_KEY, value)
        return dto.LicenseResponseDto(dto.UserLicense.model_validate(value))

    async def delete_license(self, auth: AuthContext) -> None:
        await self.users.delete_metadata(auth.user.id, LICENSE_KEY)

    # -- onboarding --------------------------------------------------------------------------------

    async def get_onboarding(self, auth: AuthContext) -> dto.OnboardingResponseDto:
        stored = (await self.users.get_metadata(auth.user.id)).get(ONBOARDING_KEY) or {}
        return dto.OnboardingResponseDto(isOnboarded=bool(stored.get("isOnboarded", False)))

    async def set_onboarding(self, auth: AuthContext, body: dto.OnboardingDto) -> dto.OnboardingResponseDto:
        await self.users.upsert_metadata(auth.user.id, ONBOARDING_KEY, {"isOnboarded": body.isOnboarded})
        return dto.OnboardingResponseDto(isOnboarded=body.isOnboarded)

    async def delete_onboarding(self, auth: AuthContext) -> None:
        await self.users.delete_metadata(auth.user.id, ONBOARDING_KEY)

    # -- profile image -----------------------------------------------------------------------------

    async def create_profile_image(
        self, auth: AuthContext, filename: str | None, upload: ChunkSource
    ) -> dto.CreateProfileImageResponseDto:
        """The file lands under a new name before the row points at it; the old file goes only once
        the row has committed, and the new one is removed again if the transaction rolls back."""
        user = await self._me(auth)
        if not accepted_name(filename):
            raise BadRequest(f"Unsupported file type {filename or ''}".rstrip())
        head = await upload.read(SNIFF_BYTES)
        if not head:
            raise BadRequest("File is empty")
        extension = sniff(head)
        if extension is None:
            raise BadRequest("Unable to process profile image")
        key = self.images.key_for(user.id, extension)
        await self.images.write(key, head, upload)
        remove_image_on_rollback(self.db, self.images, key)
        old_key = user.profile_image_path
        user = await self.users.update(user.id, profile_image_path=key, profile_changed_at=utcnow())
        if old_key:
            remove_image_after_commit(self.db, self.images, old_key)
        return dto.CreateProfileImageResponseDto(
            userId=user.id, profileImagePath=user.profile_image_path, profileChangedAt=user.profile_changed_at
        )

    async def delete_profile_image(self, auth: AuthContext) -> None:
        user = await self._me(auth)
        old_key = user.profile_image_path
        if not old_key:
            raise BadRequest("Can't delete a missing profile Image")
        await self.users.update(user.id, profile_image_path="", profile_changed_at=utcnow())
        remove_image_after_commit(self.db, self.images, old_key)

    async def profile_image(self, user_id: uuid.UUID) -> tuple[str, str]:
        """The stored key and its content type; no image is the file endpoints' uniform 404."""
        user = await self.users.get(user_id)
        if user is None or not user.profile_image_path or not self.images.owns(user.profile_image_path):
            raise NotFound("Not Found")
        return user.profile_image_path, self.images.content_type(user.profile_image_path)
