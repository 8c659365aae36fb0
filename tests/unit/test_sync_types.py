"""The sync declarations: every requested type is described, and every kind of line selects exactly
the fields of its schema in the spec (the integration tests only see the lines a scenario produces)."""

from __future__ import annotations

import pytest

from albumen.immich import dto
from albumen.sync.schemas import DEPRECATED_TYPES, SYNC_TYPES_ORDER
from albumen.sync.service import SYNC_TYPES, Feed


def _feeds() -> list[Feed]:
    found = []
    for sync_type in SYNC_TYPES.values():
        found += [
            feed for feed in (sync_type.upserts, sync_type.deletes, sync_type.updates) if feed is not None
        ]
        if sync_type.backfill is not None:
            backfill = sync_type.backfill
            found.append(Feed(backfill.entity, backfill.rows, backfill.parents))
    return found


def test_every_current_type_is_described() -> None:
    current = [kind for kind in SYNC_TYPES_ORDER if kind not in DEPRECATED_TYPES]
    assert sorted(SYNC_TYPES) == sorted(current)


# Line types whose data is another type's schema.
REUSED = {
    "PartnerAssetV2": dto.SyncAssetV2,
    "PartnerAssetBackfillV2": dto.SyncAssetV2,
    "PartnerAssetDeleteV1": dto.SyncAssetDeleteV1,
    "PartnerAssetExifV1": dto.SyncAssetExifV1,
    "PartnerAssetExifBackfillV1": dto.SyncAssetExifV1,
    "PartnerStackV1": dto.SyncStackV1,
    "PartnerStackBackfillV1": dto.SyncStackV1,
    "PartnerStackDeleteV1": dto.SyncStackDeleteV1,
    "AlbumAssetCreateV2": dto.SyncAssetV2,
    "AlbumAssetUpdateV2": dto.SyncAssetV2,
    "AlbumAssetBackfillV2": dto.SyncAssetV2,
    "AlbumAssetExifCreateV1": dto.SyncAssetExifV1,
    "AlbumAssetExifUpdateV1": dto.SyncAssetExifV1,
    "AlbumAssetExifBackfillV1": dto.SyncAssetExifV1,
    "AlbumUserBackfillV1": dto.SyncAlbumUserV1,
    "AlbumToAssetBackfillV1": dto.SyncAlbumToAssetV1,
    "MemoryToAssetV1": dto.SyncMemoryAssetV1,
    "MemoryToAssetDeleteV1": dto.SyncMemoryAssetDeleteV1,
}


@pytest.mark.parametrize("feed", _feeds(), ids=lambda feed: feed.entity.value)
def test_each_line_selects_its_schemas_fields(feed: Feed) -> None:
    schema = REUSED.get(feed.entity.value) or getattr(dto, f"Sync{feed.entity.value}")
    assert feed.rows.dto is schema
    assert set(feed.rows.columns) == set(schema.model_fields)


def test_every_line_type_is_streamed_once() -> None:
    entities = [feed.entity for feed in _feeds()]
    assert len(entities) == len(set(entities)) + 1  # AlbumDeleteV1 serves AlbumsV1 and AlbumsV2
