"""Workflow plugins (WebAssembly modules) and the methods each one offers to workflow steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, updated_at, uuid_pk


class Plugin(Base):
    __tablename__ = "plugin"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String, unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    version: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(String)
    author: Mapped[str] = mapped_column(String)
    wasm_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    templates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    sha256_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class PluginMethod(Base):
    __tablename__ = "plugin_method"

    id: Mapped[uuid.UUID] = uuid_pk()
    plugin_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("plugin.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(String)
    # The workflow types the method accepts.
    types: Mapped[list[str]] = mapped_column(ARRAY(String))
    host_functions: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    allowed_hosts: Mapped[list[str]] = mapped_column(ARRAY(String), default=list, server_default=text("'{}'"))
    # JSON schema of the step configuration.
    schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ui_hints: Mapped[list[str]] = mapped_column(ARRAY(String), default=list, server_default=text("'{}'"))
