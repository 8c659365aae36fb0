"""Activity rows as Immich's DTOs, and the create rules Immich's validator applies."""

from __future__ import annotations

from typing import Any

from albumen.immich import dto
from albumen.models import Activity, User
from albumen.users.schemas import null_fields, user_dto


def activity_dto(activity: Activity, author: User) -> dto.ActivityResponseDto:
    """`comment` is always present, null for a like (as Immich sends it)."""
    return dto.ActivityResponseDto(
        id=activity.id,
        createdAt=activity.created_at,
        user=user_dto(author),
        assetId=activity.asset_id,
        type=dto.ReactionType.like if activity.is_liked else dto.ReactionType.comment,
        comment=activity.comment,
    )


def create_issues(body: dto.ActivityCreateDto) -> list[dict[str, Any]]:
    """A comment needs text that is not blank; a like takes none. Null stands for no value nowhere."""
    issues = null_fields(body, ("assetId", "comment"))
    if body.type == dto.ReactionType.comment and not (body.comment and body.comment.strip()):
        issues.append(_custom("Comment is required when type is COMMENT"))
    if body.type != dto.ReactionType.comment and body.comment:
        issues.append(_custom("Comment must not be provided when type is not COMMENT"))
    return issues


def _custom(message: str) -> dict[str, Any]:
    return {"code": "custom", "path": ["comment"], "message": f"comment: {message}"}
