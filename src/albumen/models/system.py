"""Server-wide key/value metadata (system config, onboarding, license) and the version history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, uuid_pk


class SystemMetadata(Base):
    __tablename__ = "system_metadata"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)


class VersionHistory(Base):
    __tablename__ = "version_history"

    id: Mapped[uuid.UUID] = uuid_pk()
    version: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = created_at()
