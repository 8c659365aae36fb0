"""Albums, who they are shared with (the owner is the album_user with role 'owner') and their assets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.kit.ids import uuid7
from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class Album(Base):
    __tablename__ = "album"

    id: Mapped[uuid.UUID] = uuid_pk()
    album_name: Mapped[str] = mapped_column(String, default="Untitled Album", server_default="Untitled Album")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    album_thumbnail_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="SET NULL", onupdate="CASCADE"), index=True
    )
    is_activity_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # asc or desc
    order: Mapped[str] = mapped_column(String, default="desc", server_default="desc")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    update_id: Mapped[uuid.UUID] = update_id()


class AlbumUser(Base):
    __tablename__ = "album_user"
    __table_args__ = (
        Index(
            "uq_album_user_album_id_owner",
            "album_id",
            unique=True,
            postgresql_where=text("role = 'owner'"),
        ),
    )

    album_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("album.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
        index=True,
    )
    # owner, editor, viewer
    role: Mapped[str] = mapped_column(String, default="editor", server_default="editor")
    # Time-ordered id fixed at insert; the sync stream pages new shares by it.
    create_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), default=uuid7, nullable=False, index=True
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class AlbumAsset(Base):
    __tablename__ = "album_asset"

    album_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("album.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
        index=True,
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
