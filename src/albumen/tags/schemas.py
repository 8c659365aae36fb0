"""How a tag reads in the API, and Immich's rules for its colour."""

from __future__ import annotations

from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.models import Tag

# A tag's value is unique per user through a btree index, whose entries PostgreSQL caps at about 2.7 kB.
MAX_VALUE_BYTES = 2000


def fits(value: str) -> bool:
    return len(value.encode()) <= MAX_VALUE_BYTES


def require_fits(value: str) -> None:
    if not fits(value):
        raise BadRequest(f"Tag value is longer than {MAX_VALUE_BYTES} bytes")


def tag_response(tag: Tag) -> dto.TagResponseDto:
    """`name` is the last level of the value; no parent or colour means the field is left out."""
    return dto.TagResponseDto(
        id=tag.id,
        parentId=str(tag.parent_id) if tag.parent_id else None,
        name=tag.value.split("/")[-1],
        value=tag.value,
        createdAt=tag.created_at,
        updatedAt=tag.updated_at,
        color=tag.color,
    )


def hex_color(color: str | None) -> str | None:
    """The spec's pattern has already checked the digits; Immich stores the colour with its '#'."""
    if color is None:
        return None
    return color if color.startswith("#") else f"#{color}"
