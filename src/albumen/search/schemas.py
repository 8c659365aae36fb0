"""Search requests reduced to one filter shape, and search results as Immich's DTOs."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import UUID4, BaseModel, Field

from albumen.assets.schemas import asset_response, parse_checksum
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.query import QueryBool, QueryDatetime
from albumen.models import Asset, AssetExif, Person

# The asset_exif columns a search matches exactly (a JSON null matches a missing value), by DTO field.
EXACT_EXIF_FIELDS = {
    "city": "city",
    "state": "state",
    "country": "country",
    "make": "make",
    "model": "model",
    "lensModel": "lens_model",
}
# Unmatchable: a checksum that is neither 40 hex nor 28 base64 characters finds nothing, as in Immich.
NO_CHECKSUM = b""
DEFAULT_PAGE_SIZE = 250
# Keys of an asset that Immich leaves out of search results instead of sending null.
_OMITTED_WHEN_EMPTY = ("owner", "stack", "exifInfo")


class LargeAssetSearchQuery(BaseModel):
    """POST /search/large-assets takes its filters in the query string (Immich's LargeAssetSearchDto)."""

    albumIds: list[UUID4] | None = None
    personIds: list[UUID4] | None = None
    tagIds: list[UUID4] | None = None
    libraryId: UUID4 | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    make: str | None = None
    model: str | None = None
    lensModel: str | None = None
    ocr: str | None = None
    type: dto.AssetTypeEnum | None = None
    visibility: dto.AssetVisibility | None = None
    isEncoded: QueryBool | None = None
    isFavorite: QueryBool | None = None
    isMotion: QueryBool | None = None
    isNotInAlbum: QueryBool | None = None
    isOffline: QueryBool | None = None
    withDeleted: QueryBool | None = None
    withExif: QueryBool | None = None
    rating: Annotated[int | None, Field(ge=1, le=5)] = None
    minFileSize: Annotated[int | None, Field(ge=0, le=9007199254740991)] = None
    size: Annotated[int | None, Field(ge=1, le=1000)] = None
    createdAfter: QueryDatetime | None = None
    createdBefore: QueryDatetime | None = None
    updatedAfter: QueryDatetime | None = None
    updatedBefore: QueryDatetime | None = None
    trashedAfter: QueryDatetime | None = None
    trashedBefore: QueryDatetime | None = None
    takenAfter: QueryDatetime | None = None
    takenBefore: QueryDatetime | None = None


@dataclass(slots=True)
class AssetFilters:
    """Everything a search request may narrow by; None means "not asked for"."""

    asset_id: uuid.UUID | None = None
    library_id: uuid.UUID | None = None
    type: str | None = None
    visibility: str | None = None
    is_encoded: bool | None = None
    is_favorite: bool | None = None
    is_motion: bool | None = None
    is_offline: bool | None = None
    is_not_in_album: bool = False
    created_before: datetime | None = None
    created_after: datetime | None = None
    updated_before: datetime | None = None
    updated_after: datetime | None = None
    trashed_before: datetime | None = None
    trashed_after: datetime | None = None
    taken_before: datetime | None = None
    taken_after: datetime | None = None
    # asset_exif column -> wanted value (None: the column must be empty).
    exif: dict[str, str | None] = field(default_factory=dict)
    rating: int | None = None
    rating_given: bool = False
    description: str | None = None
    ocr: str | None = None
    checksum: bytes | None = None
    original_file_name: str | None = None
    original_path: str | None = None
    encoded_video_path: str | None = None
    preview_path: str | None = None
    thumbnail_path: str | None = None
    person_ids: list[uuid.UUID] = field(default_factory=list)
    album_ids: list[uuid.UUID] = field(default_factory=list)
    tag_ids: list[uuid.UUID] = field(default_factory=list)
    untagged: bool = False
    with_deleted: bool = False
    with_stacked: bool | None = None
    min_file_size: int | None = None

    @classmethod
    def from_request(cls, body: BaseModel) -> AssetFilters:
        """From any of Immich's search DTOs; fields a DTO lacks stay unset."""
        sent = body.model_fields_set
        values = {name: getattr(body, name) for name in type(body).model_fields}

        def get(name: str) -> Any:
            return values.get(name)

        def text(name: str) -> str | None:
            value = get(name)
            return value.strip() or None if isinstance(value, str) else None

        def ids(name: str) -> list[uuid.UUID]:
            return [uuid.UUID(str(getattr(item, "root", item))) for item in get(name) or []]

        checksum = get("checksum")
        filters = cls(
            asset_id=get("id"),
            library_id=get("libraryId"),
            type=_enum_value(get("type")),
            visibility=_enum_value(get("visibility")),
            is_encoded=get("isEncoded"),
            is_favorite=get("isFavorite"),
            is_motion=get("isMotion"),
            is_offline=get("isOffline"),
            is_not_in_album=bool(get("isNotInAlbum")),
            created_before=get("createdBefore"),
            created_after=get("createdAfter"),
            updated_before=get("updatedBefore"),
            updated_after=get("updatedAfter"),
            trashed_before=get("trashedBefore"),
            trashed_after=get("trashedAfter"),
            taken_before=get("takenBefore"),
            taken_after=get("takenAfter"),
            exif={
                column: get(name)
                for name, column in EXACT_EXIF_FIELDS.items()
                if name in sent and (get(name) is None or isinstance(get(name), str))
            },
            rating=get("rating"),
            rating_given="rating" in sent,
            description=text("description"),
            ocr=text("ocr"),
            checksum=(parse_checksum(checksum) or NO_CHECKSUM) if checksum else None,
            original_file_name=text("originalFileName"),
            original_path=get("originalPath") or None,
            encoded_video_path=get("encodedVideoPath") or None,
            preview_path=get("previewPath") or None,
            thumbnail_path=get("thumbnailPath") or None,
            person_ids=ids("personIds"),
            album_ids=ids("albumIds"),
            tag_ids=ids("tagIds"),
            untagged="tagIds" in sent and get("tagIds") is None,
            with_stacked=get("withStacked"),
            min_file_size=get("minFileSize"),
        )
        # Immich: asking about trash or offline files implies looking at trashed assets.
        filters.with_deleted = bool(
            get("withDeleted") or filters.trashed_after or filters.trashed_before or filters.is_offline
        )
        return filters


def _enum_value(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose assets a search reads, and which visibilities (decided by the service, never the client).

    Without a `visibility`, every visibility but the locked folder, except `locked_owner`'s own."""

    owner_ids: list[uuid.UUID]
    visibility: str | None
    locked_owner: uuid.UUID | None = None


def search_item(
    auth: AuthContext, asset: Asset, exif: AssetExif | None, *, with_exif: bool
) -> dict[str, Any]:
    """An asset as Immich's search maps it: favourites are the caller's own only, no owner or stack."""
    response = asset_response(asset, exif, with_exif=with_exif)
    response.isFavorite = asset.is_favorite and asset.owner_id == auth.user.id
    response.hasMetadata = True
    item = response.model_dump(mode="json")
    for key in _OMITTED_WHEN_EMPTY:
        if item.get(key) is None:
            item.pop(key, None)
    return item


def search_items(
    auth: AuthContext, rows: Sequence[tuple[Asset, AssetExif | None]], *, with_exif: bool
) -> list[dict[str, Any]]:
    return [search_item(auth, asset, exif, with_exif=with_exif) for asset, exif in rows]


def paged_response(items: list[dict[str, Any]], next_page: str | None) -> dict[str, Any]:
    """Immich's SearchResponseDto; `total` is the page's count (deprecated upstream, kept as sent)."""
    return {
        "albums": {"total": 0, "count": 0, "items": [], "facets": []},
        "assets": {
            "total": len(items),
            "count": len(items),
            "items": items,
            "facets": [],
            "nextPage": next_page,
        },
    }


def person_response(person: Person) -> dto.PersonResponseDto:
    return dto.PersonResponseDto(
        id=person.id,
        name=person.name,
        birthDate=person.birth_date,
        thumbnailPath=person.thumbnail_path,
        isHidden=person.is_hidden,
        isFavorite=person.is_favorite,
        color=person.color,
        updatedAt=person.updated_at,
    )


def collation_key(value: str) -> tuple[str, str]:
    """Immich's PostgreSQL sorts these lists in en_US order (case, accents and punctuation count
    last); our database may run in the C locale, so suggestions are ordered here instead."""
    folded = unicodedata.normalize("NFKD", value)
    primary = "".join(char for char in folded if char.isalnum()).casefold()
    return primary, value
