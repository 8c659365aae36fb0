"""Per-session acknowledgements of the sync stream, one per entity type."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at


class SessionSyncCheckpoint(Base):
    __tablename__ = "session_sync_checkpoint"

    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("session.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    # The sync entity type, e.g. AssetV1.
    type: Mapped[str] = mapped_column(String, primary_key=True)
    # The opaque ack string the client sent back.
    ack: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
