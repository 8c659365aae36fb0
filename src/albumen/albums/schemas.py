"""Mapping album rows to Immich's album DTOs, and the small rules around them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from albumen.albums.repository import AssetSummary, Member
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.models import Album
from albumen.users.schemas import user_dto

OWNER = "owner"
EDITOR = "editor"
VIEWER = "viewer"
ME = "me"


def ordered_members(members: Sequence[Member], auth_user_id: uuid.UUID | None) -> list[Member]:
    """As the spec promises: the owner, then the caller if a different member, then by name."""

    def rank(member: Member) -> tuple[int, str, str]:
        first = 0 if member.role == OWNER else 1 if member.user.id == auth_user_id else 2
        return first, member.user.name.casefold(), str(member.user.id)

    return sorted(members, key=rank)


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def album_response(
    album: Album,
    members: Sequence[Member],
    *,
    summary: AssetSummary | None,
    has_shared_link: bool,
    auth_user_id: uuid.UUID | None,
    contributor_counts: Sequence[tuple[uuid.UUID, int]] | None = None,
) -> dto.AlbumResponseDto:
    """Optional fields are only set when they have a value, so the reply omits them as Immich does
    (the endpoints serialise with exclude_unset); albumThumbnailAssetId is always there, maybe null."""
    optional: dict[str, Any] = {}
    if summary is not None:
        optional["startDate"] = _midnight(summary.start_date)
        optional["endDate"] = _midnight(summary.end_date)
        optional["lastModifiedAssetTimestamp"] = summary.last_modified
        optional = {name: value for name, value in optional.items() if value is not None}
    if contributor_counts is not None:
        optional["contributorCounts"] = [
            dto.ContributorCountResponseDto(userId=user_id, assetCount=count)
            for user_id, count in contributor_counts
        ]
    album_users = [
        dto.AlbumUserResponseDto(role=dto.AlbumUserRole(member.role), user=user_dto(member.user))
        for member in ordered_members(members, auth_user_id)
    ]
    return dto.AlbumResponseDto(
        id=album.id,
        albumName=album.album_name,
        description=album.description,
        createdAt=album.created_at,
        updatedAt=album.updated_at,
        albumThumbnailAssetId=album.album_thumbnail_asset_id,
        albumUsers=album_users,
        shared=len(album_users) > 1 or has_shared_link,
        hasSharedLink=has_shared_link,
        assetCount=summary.asset_count if summary else 0,
        isActivityEnabled=album.is_activity_enabled,
        order=dto.AssetOrder(album.order),
        **optional,
    )


def bulk_result(item_id: uuid.UUID, error: dto.BulkIdErrorReason | None = None) -> dto.BulkIdResponseDto:
    if error is None:
        return dto.BulkIdResponseDto(id=item_id, success=True)
    return dto.BulkIdResponseDto(id=item_id, success=False, error=error)


def sort_additions(
    wanted: list[uuid.UUID], present: set[uuid.UUID], allowed: set[uuid.UUID]
) -> tuple[list[dto.BulkIdResponseDto], list[uuid.UUID]]:
    """Per id of a bulk add: duplicate (already there, or repeated), no_permission, else added.
    Returns the answers in request order and the ids to add."""
    seen = set(present)
    results, added = [], []
    for item_id in wanted:
        if item_id in seen:
            results.append(bulk_result(item_id, dto.BulkIdErrorReason.duplicate))
        elif item_id not in allowed:
            results.append(bulk_result(item_id, dto.BulkIdErrorReason.no_permission))
        else:
            seen.add(item_id)
            added.append(item_id)
            results.append(bulk_result(item_id))
    return results, added


def sort_removals(
    wanted: list[uuid.UUID], present: set[uuid.UUID], allowed: set[uuid.UUID]
) -> tuple[list[dto.BulkIdResponseDto], list[uuid.UUID]]:
    """Per id of a bulk removal: not_found (not there, or repeated), no_permission, else removed.
    Returns the answers in request order and the ids to remove."""
    remaining = set(present)
    results, removed = [], []
    for item_id in wanted:
        if item_id not in remaining:
            results.append(bulk_result(item_id, dto.BulkIdErrorReason.not_found))
        elif item_id not in allowed:
            results.append(bulk_result(item_id, dto.BulkIdErrorReason.no_permission))
        else:
            remaining.discard(item_id)
            removed.append(item_id)
            results.append(bulk_result(item_id))
    return results, removed


def member_id(value: str, auth_user_id: uuid.UUID) -> uuid.UUID:
    """The {userId} path parameter: a v4 UUID, or "me" (deprecated in Immich v3, still accepted)."""
    if value == ME:
        return auth_user_id
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4 or str(parsed) != value.lower():
        raise BadRequest(
            "Validation failed",
            errors=[{"code": "custom", "path": ["userId"], "message": 'userId: Must be a UUID v4 or "me"'}],
        )
    return parsed
