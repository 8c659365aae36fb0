"""Mapping of user rows to Immich's user DTOs."""

from __future__ import annotations

import hashlib
from typing import Any

from albumen.immich import dto
from albumen.models import User

AVATAR_COLORS = [color.value for color in dto.UserAvatarColor]
LICENSE_KEY = "license"
ONBOARDING_KEY = "onboarding"
PREFERENCES_KEY = "preferences"


def avatar_color(user: User) -> dto.UserAvatarColor:
    """Immich derives a stable colour from the email when the user never picked one."""
    if user.avatar_color:
        return dto.UserAvatarColor(user.avatar_color)
    digest = int(hashlib.sha256(user.email.encode()).hexdigest(), 16)
    return dto.UserAvatarColor(AVATAR_COLORS[digest % len(AVATAR_COLORS)])


def user_dto(user: User) -> dto.UserResponseDto:
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
