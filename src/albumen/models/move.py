"""Moves of files between paths (storage template, person thumbnails) that are under way."""

from __future__ import annotations

import uuid

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, uuid_pk


class MoveHistory(Base):
    __tablename__ = "move_history"
    __table_args__ = (
        # One move in flight per entity and path kind, and never two onto the same target.
        UniqueConstraint("entity_id", "path_type"),
        UniqueConstraint("new_path"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # original, thumbnail, preview, fullsize, encoded_video, sidecar, profile, ...
    path_type: Mapped[str] = mapped_column(String)
    old_path: Mapped[str] = mapped_column(String)
    new_path: Mapped[str] = mapped_column(String)
