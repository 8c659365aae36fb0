"""In-app notifications for one user (or every admin when user_id is null)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    # success, error, warning, info
    level: Mapped[str] = mapped_column(String, default="info", server_default="info")
    # JobFailed, BackupFailed, SystemMessage, AlbumInvite, AlbumUpdate, Custom
    type: Mapped[str] = mapped_column(String, default="Custom", server_default="Custom")
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    update_id: Mapped[uuid.UUID] = update_id()
