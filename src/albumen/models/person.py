"""People recognised in assets: the person, each detected face, and the face embeddings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from albumen.models.base import Base, created_at, update_id, updated_at, uuid_pk

# Faces are compared by cosine distance. Models with shorter embeddings (e.g. 128-d SFace) are
# zero-padded to this size, which leaves cosine distances unchanged.
FACE_EMBEDDING_DIM = 512


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("birth_date <= CURRENT_DATE", name="birth_date"),
        Index("ix_person_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String, default="", server_default="")
    thumbnail_path: Mapped[str] = mapped_column(String, default="", server_default="")
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_favorite: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    birth_date: Mapped[date | None] = mapped_column(Date)
    # person <-> asset_face is a cycle; this side is added after both tables exist.
    face_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset_face.id", ondelete="SET NULL", use_alter=True), index=True
    )
    color: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class AssetFace(Base):
    __tablename__ = "asset_face"
    __table_args__ = (
        Index("ix_asset_face_asset_id_person_id", "asset_id", "person_id"),
        Index("ix_asset_face_person_id_asset_id", "person_id", "asset_id"),
        Index(
            "ix_asset_face_person_id_asset_id_visible",
            "person_id",
            "asset_id",
            postgresql_where=text("deleted_at IS NULL AND is_visible IS TRUE"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    asset_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("person.id", ondelete="SET NULL", onupdate="CASCADE")
    )
    # Size of the image the box was detected on; the box is in that image's pixels.
    image_width: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    image_height: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounding_box_x1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounding_box_y1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounding_box_x2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounding_box_y2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # machine-learning, exif, manual
    source_type: Mapped[str] = mapped_column(
        String, default="machine-learning", server_default="machine-learning"
    )
    is_visible: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at()
    update_id: Mapped[uuid.UUID] = update_id()


class FaceSearch(Base):
    __tablename__ = "face_search"
    __table_args__ = (
        Index(
            "ix_face_search_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 300},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    face_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("asset_face.id", ondelete="CASCADE"), primary_key=True
    )
    embedding: Mapped[list[float]] = mapped_column(Vector(FACE_EMBEDDING_DIM))
