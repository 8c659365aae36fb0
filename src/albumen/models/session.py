"""Login sessions (cookie/bearer tokens) and API keys; only SHA-256 digests of their secrets are kept."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class Session(Base):
    __tablename__ = "session"

    id: Mapped[uuid.UUID] = uuid_pk()
    token: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("session.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    device_type: Mapped[str] = mapped_column(String, default="", server_default="")
    device_os: Mapped[str] = mapped_column(String, default="", server_default="")
    app_version: Mapped[str | None] = mapped_column(String)
    is_pending_sync_reset: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    pin_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    oauth_sid: Mapped[str | None] = mapped_column(String, index=True)
    oauth_bearer_token: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String)
    key: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
