"""Deletion records for the sync stream: when a row goes away, its ids are kept here for a while.

Services write these rows explicitly in the same transaction as the delete (there are no
triggers). Ids are time-ordered (uuid7), so clients page through deletions by id; the cleanup
job removes rows older than the sync retention by deleted_at.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.kit.ids import uuid7
from albumen.models.base import Base


def audit_id() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)


def ref_id(index: bool = True) -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), nullable=False, index=index)


def deleted_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False, index=True)


class UserAudit(Base):
    __tablename__ = "user_audit"

    id: Mapped[uuid.UUID] = audit_id()
    user_id: Mapped[uuid.UUID] = ref_id(index=False)
    deleted_at: Mapped[datetime] = deleted_at()


class UserMetadataAudit(Base):
    __tablename__ = "user_metadata_audit"

    id: Mapped[uuid.UUID] = audit_id()
    user_id: Mapped[uuid.UUID] = ref_id()
    key: Mapped[str] = mapped_column(String, index=True)
    deleted_at: Mapped[datetime] = deleted_at()


class PartnerAudit(Base):
    __tablename__ = "partner_audit"

    id: Mapped[uuid.UUID] = audit_id()
    shared_by_id: Mapped[uuid.UUID] = ref_id()
    shared_with_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AssetAudit(Base):
    __tablename__ = "asset_audit"

    id: Mapped[uuid.UUID] = audit_id()
    asset_id: Mapped[uuid.UUID] = ref_id()
    owner_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AssetMetadataAudit(Base):
    __tablename__ = "asset_metadata_audit"

    id: Mapped[uuid.UUID] = audit_id()
    asset_id: Mapped[uuid.UUID] = ref_id()
    key: Mapped[str] = mapped_column(String, index=True)
    deleted_at: Mapped[datetime] = deleted_at()


class AssetEditAudit(Base):
    __tablename__ = "asset_edit_audit"

    id: Mapped[uuid.UUID] = audit_id()
    edit_id: Mapped[uuid.UUID] = ref_id(index=False)
    asset_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AssetFaceAudit(Base):
    __tablename__ = "asset_face_audit"

    id: Mapped[uuid.UUID] = audit_id()
    asset_face_id: Mapped[uuid.UUID] = ref_id()
    asset_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AssetOcrAudit(Base):
    __tablename__ = "asset_ocr_audit"

    id: Mapped[uuid.UUID] = audit_id()
    asset_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AlbumAudit(Base):
    """An album gone for one user: deleted, or the user removed from it."""

    __tablename__ = "album_audit"

    id: Mapped[uuid.UUID] = audit_id()
    album_id: Mapped[uuid.UUID] = ref_id()
    user_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AlbumUserAudit(Base):
    __tablename__ = "album_user_audit"

    id: Mapped[uuid.UUID] = audit_id()
    album_id: Mapped[uuid.UUID] = ref_id()
    user_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class AlbumAssetAudit(Base):
    """An asset removed from an album that still exists (the rows go with the album)."""

    __tablename__ = "album_asset_audit"

    id: Mapped[uuid.UUID] = audit_id()
    album_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("album.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class StackAudit(Base):
    __tablename__ = "stack_audit"

    id: Mapped[uuid.UUID] = audit_id()
    stack_id: Mapped[uuid.UUID] = ref_id(index=False)
    user_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class MemoryAudit(Base):
    __tablename__ = "memory_audit"

    id: Mapped[uuid.UUID] = audit_id()
    memory_id: Mapped[uuid.UUID] = ref_id()
    user_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class MemoryAssetAudit(Base):
    """An asset removed from a memory that still exists (the rows go with the memory)."""

    __tablename__ = "memory_asset_audit"

    id: Mapped[uuid.UUID] = audit_id()
    memory_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("memory.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()


class PersonAudit(Base):
    __tablename__ = "person_audit"

    id: Mapped[uuid.UUID] = audit_id()
    person_id: Mapped[uuid.UUID] = ref_id()
    owner_id: Mapped[uuid.UUID] = ref_id()
    deleted_at: Mapped[datetime] = deleted_at()
