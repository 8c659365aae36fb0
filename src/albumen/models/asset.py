"""Assets (photos, videos) and what hangs off one asset: files, EXIF, metadata, job status, edits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk

# Services recognise a duplicate upload by this index name in the IntegrityError.
ASSET_CHECKSUM_CONSTRAINT = "uq_asset_owner_id_checksum"
ASSET_LIBRARY_CHECKSUM_CONSTRAINT = "uq_asset_owner_id_library_id_checksum"
TIMELINE_INDEX_PREDICATE = "deleted_at IS NULL AND visibility IN ('archive', 'timeline', 'locked')"


class Asset(Base):
    __tablename__ = "asset"
    __table_args__ = (
        # Uploads: a checksum once per owner; external libraries: once per owner and library.
        Index(
            ASSET_CHECKSUM_CONSTRAINT,
            "owner_id",
            "checksum",
            unique=True,
            postgresql_where=text("library_id IS NULL"),
        ),
        Index(
            ASSET_LIBRARY_CHECKSUM_CONSTRAINT,
            "owner_id",
            "library_id",
            "checksum",
            unique=True,
            postgresql_where=text("library_id IS NOT NULL"),
        ),
        # Per-owner ordering by local time (any visibility, trash included), and "on this day" lookups.
        Index("ix_asset_owner_id_local_date_time", "owner_id", "local_date_time"),
        Index("ix_asset_local_date_time_day", text("((local_date_time AT TIME ZONE 'UTC'::text)::date)")),
        # The timeline's month buckets and one month's assets, by date taken or by upload date: an
        # owner's visible (not hidden) assets out of the trash, read in time order. A month is a range
        # of the raw column, so the bucket list is an index-only scan. Queries inline the visibility
        # so the planner can match the predicate.
        Index(
            "ix_asset_timeline_taken",
            "owner_id",
            "visibility",
            "local_date_time",
            postgresql_where=text(TIMELINE_INDEX_PREDICATE),
        ),
        Index(
            "ix_asset_timeline_created",
            "owner_id",
            "visibility",
            "created_at",
            postgresql_where=text(TIMELINE_INDEX_PREDICATE),
        ),
        Index("ix_asset_original_path_library_id", "original_path", "library_id"),
        Index("ix_asset_id_stack_id", "id", "stack_id"),
        Index(
            "ix_asset_original_file_name_trgm",
            "original_file_name",
            postgresql_using="gin",
            postgresql_ops={"original_file_name": "gin_trgm_ops"},
        ),
        # The map's markers: an owner's timeline assets, index-only, with the date they are sorted by.
        Index(
            "ix_asset_map_markers",
            "owner_id",
            "file_created_at",
            "id",
            postgresql_where=text("visibility = 'timeline' AND deleted_at IS NULL"),
        ),
        Index(
            "ix_asset_id_timeline_not_deleted",
            "id",
            postgresql_where=text("visibility = 'timeline' AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    library_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("library.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    # IMAGE, VIDEO, AUDIO, OTHER
    type: Mapped[str] = mapped_column(String)
    original_path: Mapped[str] = mapped_column(String)
    original_file_name: Mapped[str] = mapped_column(String, index=True)
    file_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    file_modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The wall-clock time where the picture was taken, stored as if it were UTC.
    local_date_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    is_favorite: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Milliseconds, videos only.
    duration: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    # sha1 (of the file) or sha1-path (of "path:" + path, old external-library assets)
    checksum_algorithm: Mapped[str] = mapped_column(String, default="sha1", server_default="sha1")
    live_photo_video_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="SET NULL", onupdate="CASCADE"), index=True
    )
    thumbhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    is_offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_external: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # asset <-> stack is a cycle; this side is added after both tables exist.
    stack_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("stack.id", ondelete="SET NULL", onupdate="CASCADE", use_alter=True),
        index=True,
    )
    duplicate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    # active, trashed, deleted
    status: Mapped[str] = mapped_column(String, default="active", server_default="active")
    # timeline, archive, hidden, locked
    visibility: Mapped[str] = mapped_column(String, default="timeline", server_default="timeline")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    is_edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True
    )
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    update_id: Mapped[uuid.UUID] = update_id()


class AssetFile(Base):
    """Derived files of an asset: preview, thumbnail, full-size, sidecar, encoded video."""

    __tablename__ = "asset_file"
    __table_args__ = (UniqueConstraint("asset_id", "type", "is_edited"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    # fullsize, preview, thumbnail, sidecar, encoded_video
    type: Mapped[str] = mapped_column(String)
    path: Mapped[str] = mapped_column(String)
    is_edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_progressive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_transparent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class AssetExif(Base):
    __tablename__ = "asset_exif"
    __table_args__ = (
        # Map bounds and nearest-asset lookups without the cube/earthdistance extensions.
        Index("ix_asset_exif_coordinates", text("point(longitude, latitude)"), postgresql_using="gist"),
        # The map's markers, read index-only: a slim copy of the located rows, not the wide heap.
        Index(
            "ix_asset_exif_map_markers",
            "asset_id",
            postgresql_include=["latitude", "longitude", "city", "state", "country"],
            postgresql_where=text("latitude IS NOT NULL AND longitude IS NOT NULL"),
        ),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    make: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    exif_image_width: Mapped[int | None] = mapped_column(Integer)
    exif_image_height: Mapped[int | None] = mapped_column(Integer)
    file_size_in_byte: Mapped[int | None] = mapped_column(BigInteger)
    orientation: Mapped[str | None] = mapped_column(String)
    date_time_original: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    modify_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lens_model: Mapped[str | None] = mapped_column(String)
    f_number: Mapped[float | None] = mapped_column(Double)
    focal_length: Mapped[float | None] = mapped_column(Double)
    iso: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    city: Mapped[str | None] = mapped_column(String, index=True)
    state: Mapped[str | None] = mapped_column(String)
    country: Mapped[str | None] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    fps: Mapped[float | None] = mapped_column(Double)
    exposure_time: Mapped[str | None] = mapped_column(String)
    live_photo_cid: Mapped[str | None] = mapped_column(String, index=True)
    time_zone: Mapped[str | None] = mapped_column(String)
    projection_type: Mapped[str | None] = mapped_column(String)
    profile_description: Mapped[str | None] = mapped_column(String)
    colorspace: Mapped[str | None] = mapped_column(String)
    bits_per_sample: Mapped[int | None] = mapped_column(Integer)
    auto_stack_id: Mapped[str | None] = mapped_column(String, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str] | None] = mapped_column(ARRAY(String))
    # Properties the user edited by hand; metadata extraction leaves them alone.
    locked_properties: Mapped[list[str] | None] = mapped_column(ARRAY(String))
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class AssetMetadata(Base):
    __tablename__ = "asset_metadata"

    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False, index=True
    )
    update_id: Mapped[uuid.UUID] = update_id()


class AssetJobStatus(Base):
    """When each per-asset background job last finished; null means it still has to run."""

    __tablename__ = "asset_job_status"

    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    faces_recognized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    metadata_extracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duplicates_detected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ocr_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AssetEdit(Base):
    """Non-destructive edits (crop, rotate, mirror), applied in sequence order."""

    __tablename__ = "asset_edit"
    __table_args__ = (UniqueConstraint("asset_id", "sequence"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    action: Mapped[str] = mapped_column(String)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sequence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
