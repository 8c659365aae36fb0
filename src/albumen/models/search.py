"""Search side tables: CLIP embeddings for smart search, and text found in assets by OCR."""

from __future__ import annotations

import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import REAL, Boolean, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, update_id, uuid_pk

CLIP_EMBEDDING_DIM = 512


class SmartSearch(Base):
    __tablename__ = "smart_search"
    __table_args__ = (
        Index(
            "ix_smart_search_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 300},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    embedding: Mapped[list[float]] = mapped_column(Vector(CLIP_EMBEDDING_DIM))


class AssetOcr(Base):
    """One line of recognised text: its quadrilateral (normalised 0..1 corners), scores and text."""

    __tablename__ = "asset_ocr"

    id: Mapped[uuid.UUID] = uuid_pk()
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    x1: Mapped[float] = mapped_column(REAL)
    y1: Mapped[float] = mapped_column(REAL)
    x2: Mapped[float] = mapped_column(REAL)
    y2: Mapped[float] = mapped_column(REAL)
    x3: Mapped[float] = mapped_column(REAL)
    y3: Mapped[float] = mapped_column(REAL)
    x4: Mapped[float] = mapped_column(REAL)
    y4: Mapped[float] = mapped_column(REAL)
    box_score: Mapped[float] = mapped_column(REAL)
    text_score: Mapped[float] = mapped_column(REAL)
    text: Mapped[str] = mapped_column(Text)
    is_visible: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    update_id: Mapped[uuid.UUID] = update_id()


class OcrSearch(Base):
    """All OCR text of one asset joined into one string, trigram-indexed for search."""

    __tablename__ = "ocr_search"
    __table_args__ = (
        Index(
            "ix_ocr_search_text_trgm", "text", postgresql_using="gin", postgresql_ops={"text": "gin_trgm_ops"}
        ),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
