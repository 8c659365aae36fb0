"""Users and their per-user key/value metadata (preferences, license, onboarding)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class User(Base):
    __tablename__ = "user"
    __table_args__ = (Index("ix_user_updated_at_id", "updated_at", "id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String, unique=True)
    password: Mapped[str] = mapped_column(String, default="", server_default="")
    pin_code: Mapped[str | None] = mapped_column(String)
    name: Mapped[str] = mapped_column(String, default="", server_default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    should_change_password: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    avatar_color: Mapped[str | None] = mapped_column(String)
    profile_image_path: Mapped[str] = mapped_column(String, default="", server_default="")
    profile_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=func.now()
    )
    oauth_id: Mapped[str] = mapped_column(String, default="", server_default="", index=True)
    storage_label: Mapped[str | None] = mapped_column(String, unique=True)
    quota_size_in_bytes: Mapped[int | None] = mapped_column(BigInteger)
    quota_usage_in_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String, default="active", server_default="active")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    update_id: Mapped[uuid.UUID] = update_id()


class UserMetadata(Base):
    __tablename__ = "user_metadata"

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
