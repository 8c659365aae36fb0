"""Mapping of user rows to Immich's user DTOs, and the pure rules around them (preferences, labels)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from albumen.immich import dto
from albumen.kit import zod
from albumen.models import User

AVATAR_COLORS = [color.value for color in dto.UserAvatarColor]
LICENSE_KEY = "license"
ONBOARDING_KEY = "onboarding"
PREFERENCES_KEY = "preferences"

GIB = 1024**3

# Immich v3.1.0's preference defaults (server/src/utils/preferences.ts). Only what a user changes
# relative to these is stored, so a future change of a default reaches every user who kept it.
DEFAULT_PREFERENCES: dict[str, Any] = {
    "albums": {"defaultAssetOrder": "desc"},
    "folders": {"enabled": False, "sidebarWeb": False},
    "memories": {"enabled": True, "duration": 5},
    "people": {"enabled": True, "sidebarWeb": False, "minimumFaces": 3},
    "sharedLinks": {"enabled": True, "sidebarWeb": False},
    "ratings": {"enabled": False},
    "tags": {"enabled": False, "sidebarWeb": False},
    "emailNotifications": {"enabled": True, "albumInvite": True, "albumUpdate": True},
    "download": {"archiveSize": 4 * GIB, "includeEmbeddedVideos": False},
    "purchase": {"showSupportBadge": True, "hideBuyButtonUntil": "2022-02-12T00:00:00.000Z"},
    "cast": {"gCastEnabled": False},
    "recentlyAdded": {"sidebarWeb": False},
}


def avatar_color(user: User) -> dto.UserAvatarColor:
    """A colour the user never picked is derived from the email the way Immich does, so both agree."""
    if user.avatar_color:
        return dto.UserAvatarColor(user.avatar_color)
    return dto.UserAvatarColor(AVATAR_COLORS[sum(ord(letter) for letter in user.email) % len(AVATAR_COLORS)])


def user_dto(user: User) -> dto.UserResponseDto:
    """The public profile: what any signed-in user may see of another."""
    return dto.UserResponseDto(
        id=user.id,
        email=user.email,
        name=user.name,
        avatarColor=avatar_color(user),
        profileImagePath=user.profile_image_path,
        profileChangedAt=user.profile_changed_at,
    )


def user_admin_dto(user: User, metadata: dict[str, dict[str, Any]] | None = None) -> dto.UserAdminResponseDto:
    license_value = (metadata or {}).get(LICENSE_KEY)
    return dto.UserAdminResponseDto(
        id=user.id,
        email=user.email,
        name=user.name,
        avatarColor=avatar_color(user),
        profileImagePath=user.profile_image_path,
        profileChangedAt=user.profile_changed_at,
        storageLabel=user.storage_label,
        shouldChangePassword=user.should_change_password,
        isAdmin=user.is_admin,
        createdAt=user.created_at,
        updatedAt=user.updated_at,
        deletedAt=user.deleted_at,
        oauthId=user.oauth_id,
        quotaSizeInBytes=user.quota_size_in_bytes,
        quotaUsageInBytes=user.quota_usage_in_bytes,
        status=dto.UserStatus(user.status),
        license=dto.UserLicense.model_validate(license_value) if license_value else None,
    )


# -- preferences ------------------------------------------------------------------------------------


def _overlay(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Sets every leaf of `changes` into `target`, creating nested objects on the way (lodash `set`)."""
    for key, value in changes.items():
        if isinstance(value, dict):
            nested = target.get(key)
            if not isinstance(nested, dict):
                nested = target[key] = {}
            _overlay(nested, value)
        elif value is not None:
            target[key] = copy.deepcopy(value)


def preferences(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The full preferences: the defaults with what the user saved laid over them."""
    merged = copy.deepcopy(DEFAULT_PREFERENCES)
    _overlay(merged, stored or {})
    return merged


def merge_preferences(current: dict[str, Any], update: dto.UserPreferencesUpdateDto) -> dict[str, Any]:
    merged = copy.deepcopy(current)
    _overlay(merged, update.model_dump(mode="json", exclude_none=True))
    return merged


def preferences_to_store(
    full: dict[str, Any], defaults: dict[str, Any] = DEFAULT_PREFERENCES
) -> dict[str, Any]:
    """Only the leaves of `full` that differ from the defaults; empty values fall back to the default."""
    stored: dict[str, Any] = {}
    for key, default in defaults.items():
        value = full.get(key)
        if isinstance(default, dict):
            nested = preferences_to_store(value, default) if isinstance(value, dict) else {}
            if nested:
                stored[key] = nested
        elif value not in (None, "") and value != default:
            stored[key] = copy.deepcopy(value)
    return stored


def preferences_dto(full: dict[str, Any]) -> dto.UserPreferencesResponseDto:
    return dto.UserPreferencesResponseDto.model_validate(full)


# -- request checks the generated DTOs cannot express ------------------------------------------------


def null_fields(body: BaseModel, fields: Iterable[str]) -> list[dict[str, Any]]:
    """Validation issues for fields sent as JSON null that Immich accepts only absent or with a value."""
    sent = body.model_dump(include=set(fields), exclude_unset=True)
    return [zod.null_issue(type(body), name) for name in fields if name in sent and sent[name] is None]
