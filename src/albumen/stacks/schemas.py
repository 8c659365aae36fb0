"""Stack rows as Immich's DTOs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from albumen.assets.schemas import asset_response
from albumen.immich import dto
from albumen.models import Stack, Tag
from albumen.stacks.repository import Member, StackSummary


def stack_response(
    stack: Stack, members: Sequence[Member], tags: Mapping[uuid.UUID, Sequence[Tag]] | None = None
) -> dto.StackResponseDto:
    """The primary first, then the other members in the order given; each with its tags, if given."""
    ordered = sorted(members, key=lambda member: member[0].id != stack.primary_asset_id)
    return dto.StackResponseDto(
        id=stack.id,
        primaryAssetId=stack.primary_asset_id,
        assets=[asset_response(asset, exif, tags=(tags or {}).get(asset.id, ())) for asset, exif in ordered],
    )


def asset_stack(summary: StackSummary | None) -> dto.AssetStackResponseDto | None:
    if summary is None:
        return None
    return dto.AssetStackResponseDto(
        id=summary.id, primaryAssetId=summary.primary_asset_id, assetCount=summary.asset_count
    )
