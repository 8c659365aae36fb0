"""Findings of the storage integrity check: untracked files, missing files, checksum mismatches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.kit.ids import uuid7
from albumen.models.base import Base, created_at


class IntegrityReport(Base):
    __tablename__ = "integrity_report"
    __table_args__ = (UniqueConstraint("type", "path"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    # untracked_file, missing_file, checksum_mismatch
    type: Mapped[str] = mapped_column(String)
    path: Mapped[str] = mapped_column(String)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    file_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset_file.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at()
