"""Album activity: comments and likes, on the album itself or on one asset in it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (
        # A row is either a comment or a like, never both.
        CheckConstraint(
            "(comment IS NULL AND is_liked = true) OR (comment IS NOT NULL AND is_liked = false)",
            name="like_or_comment",
        ),
        # One like per user and target.
        Index(
            "uq_activity_like",
            "asset_id",
            "user_id",
            "album_id",
            unique=True,
            postgresql_where=text("is_liked = true"),
        ),
        # An asset-level activity goes away when the asset leaves the album.
        ForeignKeyConstraint(
            ["album_id", "asset_id"],
            ["album_asset.album_id", "album_asset.asset_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    album_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("album.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    comment: Mapped[str | None] = mapped_column(Text)
    is_liked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
