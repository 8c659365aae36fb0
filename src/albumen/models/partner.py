"""Partner sharing: one user shows all their assets to another, optionally in that user's timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.kit.ids import uuid7
from albumen.models.base import Base, created_at, update_id, updated_at


class Partner(Base):
    __tablename__ = "partner"

    shared_by_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    shared_with_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    in_timeline: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Time-ordered id fixed at insert; the sync stream pages new partners by it.
    create_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), default=uuid7, nullable=False, index=True
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()
