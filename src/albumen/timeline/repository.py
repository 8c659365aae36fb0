"""Timeline and folder queries.

`AssetScope` + `scope_conditions` are the one statement of which assets a listing covers (owners,
album, person, tag, favourite, trash, visibility, stacks, bounding box); search and map reuse them.
The bucket reply is built whole by PostgreSQL as one JSON text, so no per-asset Python object exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    REAL,
    Date,
    Numeric,
    Text,
    and_,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from albumen.kit.db import among
from albumen.models import (
    AlbumAsset,
    Asset,
    AssetExif,
    AssetFace,
    AssetMonthCount,
    Partner,
    Stack,
    TagAsset,
    TagClosure,
    User,
)
from albumen.timeline.schemas import BoundingBox

# Immich's default: without a visibility filter a listing shows the timeline and the archive.
DEFAULT_VISIBILITIES = ("archive", "timeline")
_VISIBILITIES = frozenset({"archive", "timeline", "hidden", "locked"})
_UTC: ColumnElement[str] = literal_column("'UTC'")


def _visibility_constant(value: str) -> ColumnElement[str]:
    """Inlined rather than bound, so the planner can match the partial timeline indexes (a bound
    parameter in a cached generic plan would hide the value)."""
    if value not in _VISIBILITIES:
        raise ValueError(f"unknown visibility {value!r}")
    return literal_column(f"'{value}'")


@dataclass(frozen=True, slots=True)
class AssetScope:
    """Which assets a listing covers. Access to the owners, album, person and tag is checked by the
    service (through access/) before a scope is built."""

    owner_ids: Sequence[uuid.UUID] | None = None
    album_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    tag_id: uuid.UUID | None = None
    is_favorite: bool | None = None
    is_trashed: bool = False
    visibility: str | None = None
    primaries_only: bool = False  # of a stack, only its primary asset
    bbox: BoundingBox | None = None


def scope_conditions(scope: AssetScope) -> list[ColumnElement[bool]]:
    """WHERE clauses over `Asset` (and correlated subqueries) for `scope`, as Immich's timeline applies
    them: trashed assets only when asked (never those already deleted), the default visibilities when
    none is given."""
    conditions: list[ColumnElement[bool]] = []
    if scope.is_trashed:
        conditions += [Asset.deleted_at.is_not(None), Asset.status != "deleted"]
    else:
        conditions.append(Asset.deleted_at.is_(None))
    visibilities = (scope.visibility,) if scope.visibility else DEFAULT_VISIBILITIES
    if len(visibilities) == 1:
        conditions.append(Asset.visibility == _visibility_constant(visibilities[0]))
    else:
        conditions.append(Asset.visibility.in_([_visibility_constant(value) for value in visibilities]))
    if scope.owner_ids is not None:
        owners = list(dict.fromkeys(scope.owner_ids))
        conditions.append(Asset.owner_id == owners[0] if len(owners) == 1 else among(Asset.owner_id, owners))
    if scope.is_favorite is not None:
        conditions.append(Asset.is_favorite.is_(true() if scope.is_favorite else false()))
    if scope.album_id is not None:
        conditions.append(
            exists().where(AlbumAsset.asset_id == Asset.id, AlbumAsset.album_id == scope.album_id)
        )
    if scope.person_id is not None:
        conditions.append(
            exists().where(
                AssetFace.asset_id == Asset.id,
                AssetFace.person_id == scope.person_id,
                AssetFace.deleted_at.is_(None),
                AssetFace.is_visible.is_(true()),
            )
        )
    if scope.tag_id is not None:
        conditions.append(
            select(TagAsset.asset_id)
            .join(TagClosure, TagAsset.tag_id == TagClosure.id_descendant)
            .where(TagAsset.asset_id == Asset.id, TagClosure.id_ancestor == scope.tag_id)
            .exists()
        )
    if scope.primaries_only:
        conditions.append(
            not_(exists().where(Stack.id == Asset.stack_id, Stack.primary_asset_id != Asset.id))
        )
    if scope.bbox is not None:
        # Its own alias: a query that joins asset_exif itself must not correlate this one away.
        exif = aliased(AssetExif)
        conditions.append(exists().where(exif.asset_id == Asset.id, *_inside(exif, scope.bbox)))
    return conditions


def _inside(exif: type[AssetExif], bbox: BoundingBox) -> list[ColumnElement[bool]]:
    conditions = [exif.latitude >= bbox.south, exif.latitude <= bbox.north]
    if bbox.west <= bbox.east:
        conditions += [exif.longitude >= bbox.west, exif.longitude <= bbox.east]
    else:  # across the antimeridian
        conditions.append(or_(exif.longitude >= bbox.west, exif.longitude <= bbox.east))
    return conditions


def counts_cover(scope: AssetScope) -> bool:
    """Whether `asset_month_count` answers the month counts of `scope`: an owners' timeline with at
    most the visibility, favourite, trash and stack filters."""
    narrowed = (scope.album_id, scope.person_id, scope.tag_id, scope.bbox)
    return scope.owner_ids is not None and all(value is None for value in narrowed)


def _counted_months(scope: AssetScope, *, by_created_at: bool) -> Subquery:
    assert scope.owner_ids is not None
    counts = AssetMonthCount
    month = counts.created_month if by_created_at else counts.taken_month
    visibilities = (scope.visibility,) if scope.visibility else DEFAULT_VISIBILITIES
    owners = list(dict.fromkeys(scope.owner_ids))
    conditions = [
        counts.owner_id == owners[0] if len(owners) == 1 else among(counts.owner_id, owners),
        counts.visibility.in_([_visibility_constant(value) for value in visibilities]),
        counts.is_trashed.is_(true() if scope.is_trashed else false()),
    ]
    if scope.is_favorite is not None:
        conditions.append(counts.is_favorite.is_(true() if scope.is_favorite else false()))
    if scope.primaries_only:
        conditions.append(counts.is_stack_hidden.is_(false()))
    total = func.sum(counts.count)
    return (
        select(month.label("month"), total.label("count"))
        .where(*conditions)
        .group_by(month)
        .having(total > 0)
        .subquery("counted")
    )


def _scanned_months(scope: AssetScope, *, by_created_at: bool) -> Subquery:
    grouped = Asset.created_at if by_created_at else Asset.local_date_time
    months = select(_month(grouped).label("month")).where(*scope_conditions(scope)).subquery("months")
    return select(months.c.month, func.count().label("count")).group_by(months.c.month).subquery("counted")


def _utc_wall(column: Any) -> ColumnElement[datetime]:
    """A timestamptz as the UTC wall-clock `timestamp` Immich shows (no `Z` in its JSON)."""
    return func.timezone(_UTC, column)


def _month(column: Any) -> ColumnElement[datetime]:
    return func.date_trunc(literal_column("'month'"), _utc_wall(column))


_CLASS = "owner_id, visibility, is_favorite, is_trashed, is_stack_hidden, taken_month, created_month"
_SAME_CLASS = " AND ".join(f"c.{column} = s.{column}" for column in _CLASS.split(", "))
COMPACT_MONTH_COUNTS = text(
    f"""
    WITH spread AS (
        SELECT {_CLASS} FROM asset_month_count
        GROUP BY {_CLASS} HAVING count(*) > 1 OR sum(count) = 0
    ), gone AS (
        DELETE FROM asset_month_count c USING spread s WHERE {_SAME_CLASS} RETURNING c.*
    ), kept AS (
        INSERT INTO asset_month_count ({_CLASS}, count)
        SELECT {_CLASS}, sum(count) FROM gone GROUP BY {_CLASS} HAVING sum(count) <> 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)
    """  # noqa: S608 - built from this module's constants
)


@dataclass(frozen=True, slots=True)
class BucketRequest:
    """One month of a timeline: the range of the grouping column, the caller, and what to include."""

    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    caller_id: uuid.UUID
    by_created_at: bool = False
    ascending: bool = False
    with_place: bool = True  # city and country
    with_coordinates: bool = False
    with_stack: bool = False


class TimelineRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def buckets_json(
        self, scope: AssetScope, *, by_created_at: bool, ascending: bool, scan: bool = False
    ) -> str:
        """`[{timeBucket: "YYYY-MM-DD", count}]` per month, as JSON text: summed from the month counts
        when they cover the filters (unless `scan`), else counted from the assets."""
        if counts_cover(scope) and not scan:
            counted = _counted_months(scope, by_created_at=by_created_at)
        else:
            counted = _scanned_months(scope, by_created_at=by_created_at)
        key = counted.c.month.asc() if ascending else counted.c.month.desc()
        entry = func.json_build_object(
            literal_column("'timeBucket'"),
            cast(cast(counted.c.month, Date), Text),
            literal_column("'count'"),
            counted.c.count,
        )
        listed = func.coalesce(func.json_agg(aggregate_order_by(entry, key)), literal_column("'[]'::json"))
        statement = select(cast(listed, Text)).select_from(counted)
        return str(await self.db.scalar(statement))

    async def bucket_json(self, scope: AssetScope, request: BucketRequest) -> str:
        """One month as Immich's columnar TimeBucketAssetResponseDto, as JSON text."""
        grouped = Asset.created_at if request.by_created_at else Asset.local_date_time
        columns: dict[str, Any] = {
            "id": Asset.id,
            "ownerId": Asset.owner_id,
            "ratio": func.coalesce(
                case(
                    (or_(Asset.width == 0, Asset.height == 0), literal_column("1")),
                    else_=func.round(cast(Asset.width, Numeric) / Asset.height, 3),
                ),
                literal_column("1"),
            ),
            # Another user's favourite is theirs alone.
            "isFavorite": and_(Asset.is_favorite, Asset.owner_id == request.caller_id),
            "visibility": Asset.visibility,
            "isTrashed": Asset.deleted_at.is_not(None),
            "isImage": Asset.type == literal_column("'IMAGE'"),
            "thumbhash": func.encode(Asset.thumbhash, literal_column("'base64'")),
            "createdAt": _utc_wall(Asset.created_at),
            "fileCreatedAt": _utc_wall(Asset.file_created_at),
            "localOffsetHours": cast(
                extract("epoch", _utc_wall(Asset.local_date_time) - _utc_wall(Asset.file_created_at)), REAL
            )
            / literal_column("3600"),
            "duration": Asset.duration,
            "projectionType": AssetExif.projection_type,
            "livePhotoVideoId": Asset.live_photo_video_id,
            "status": Asset.status,
        }
        if request.with_place:
            columns |= {"city": AssetExif.city, "country": AssetExif.country}
        if request.with_coordinates:
            columns |= {"latitude": AssetExif.latitude, "longitude": AssetExif.longitude}
        sort_first = (
            Asset.created_at if request.by_created_at else cast(_utc_wall(Asset.local_date_time), Date)
        )
        rows = (
            select(
                *(column.label(name) for name, column in columns.items()),
                sort_first.label("sort_first"),
                Asset.file_created_at.label("sort_second"),
            )
            .select_from(Asset)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(*scope_conditions(scope), grouped >= request.start, grouped < request.end)
        )
        if request.with_stack:
            stacked = aliased(Asset)
            stack_pair = (
                select(array([cast(stacked.stack_id, Text), cast(func.count(), Text)]).label("stack"))
                .where(
                    stacked.stack_id == Asset.stack_id,
                    stacked.deleted_at.is_(None),
                    stacked.visibility == _visibility_constant("timeline"),
                )
                .group_by(stacked.stack_id)
                .lateral("stacked")
            )
            rows = rows.outerjoin(stack_pair, true()).add_columns(stack_pair.c.stack)
            columns["stack"] = stack_pair.c.stack
        cte = rows.cte("bucket_rows")
        direction = "asc" if request.ascending else "desc"
        ordering = [getattr(cte.c[name], direction)() for name in ("sort_first", "sort_second", "id")]
        aggregates = []
        for name in columns:
            if name == "stack":
                aggregated = func.coalesce(
                    func.json_agg(aggregate_order_by(cte.c.stack, *ordering)), literal_column("'[]'::json")
                )
            else:
                aggregated = func.coalesce(
                    func.array_agg(aggregate_order_by(cte.c[name], *ordering)), literal_column("'{}'")
                )
            aggregates.append(aggregated.label(name))
        agg = select(*aggregates).select_from(cte).subquery("agg")
        statement = select(cast(func.to_json(literal_column("agg")), Text)).select_from(agg)
        return str(await self.db.scalar(statement))

    async def compact_month_counts(self) -> int:
        """Folds each class's rows of `asset_month_count` into one and drops classes at zero; returns
        how many rows went. Safe beside writers: they never wait for these rows (SKIP LOCKED), and
        a row a writer changed meanwhile is deleted at its committed value."""
        removed = await self.db.execute(COMPACT_MONTH_COUNTS)
        return int(removed.scalar_one())

    async def timeline_partners(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Users (not deleted) who share with `user_id` and whom `user_id` shows in their timeline."""
        statement = (
            select(Partner.shared_by_id)
            .join(User, (User.id == Partner.shared_by_id) & User.deleted_at.is_(None))
            .where(Partner.shared_with_id == user_id, Partner.in_timeline.is_(true()))
            .order_by(Partner.shared_by_id)
        )
        return list((await self.db.scalars(statement)).all())

    # -- folders ------------------------------------------------------------------------------------

    @staticmethod
    def _folder_assets(owner_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [
            Asset.owner_id == owner_id,
            Asset.visibility == _visibility_constant("timeline"),
            Asset.deleted_at.is_(None),
        ]

    async def unique_folders(self, owner_id: uuid.UUID) -> list[str]:
        """The folders of the owner's timeline originals, sorted, without their trailing slash."""
        folder = func.substring(Asset.original_path, literal_column(r"'^(.*/)[^/]*$'"))
        statement = (
            select(folder.label("folder")).distinct().where(*self._folder_assets(owner_id)).order_by("folder")
        )
        found = (await self.db.scalars(statement)).all()
        return [path.removesuffix("/") if path else path for path in found]

    async def folder_assets(self, owner_id: uuid.UUID, path: str) -> Sequence[tuple[Asset, AssetExif | None]]:
        """The owner's timeline assets directly inside folder `path` (anywhere in the original path),
        ordered by file name."""
        folder = _like_escaped(path.removesuffix("/"))
        file_name = func.regexp_replace(
            Asset.original_path, literal_column("'.*/(.+)'"), literal_column(r"'\1'")
        )
        statement = (
            select(Asset, AssetExif)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(
                *self._folder_assets(owner_id),
                Asset.original_path.like(f"%{folder}/%", escape="\\"),
                Asset.original_path.not_like(f"%{folder}/%/%", escape="\\"),
            )
            .order_by(file_name, Asset.id)
        )
        return [(asset, exif) for asset, exif in (await self.db.execute(statement)).all()]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
