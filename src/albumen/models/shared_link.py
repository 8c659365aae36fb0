"""Shared links: a secret key (or slug) that opens one album or a chosen set of assets to anyone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, uuid_pk


class SharedLink(Base):
    __tablename__ = "shared_link"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    key: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    slug: Mapped[str | None] = mapped_column(String, unique=True)
    # ALBUM or INDIVIDUAL
    type: Mapped[str] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)
    album_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("album.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    allow_upload: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    allow_download: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    show_exif: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    password: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = created_at()


class SharedLinkAsset(Base):
    __tablename__ = "shared_link_asset"

    shared_link_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("shared_link.id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
        index=True,
    )
