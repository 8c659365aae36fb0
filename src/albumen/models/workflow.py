"""User workflows: a trigger (e.g. asset uploaded) followed by ordered plugin-method steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk


class Workflow(Base):
    __tablename__ = "workflow"

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    trigger: Mapped[str] = mapped_column(String)
    name: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class WorkflowStep(Base):
    __tablename__ = "workflow_step"

    id: Mapped[uuid.UUID] = uuid_pk()
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workflow.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    plugin_method_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("plugin_method.id", ondelete="CASCADE", onupdate="CASCADE"),
        index=True,
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    order: Mapped[int] = mapped_column(Integer)
