"""What the download queries hand the service: plain values, so nothing touches the session later."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SizedAsset:
    """One asset for download info, with its live-photo motion part (if any) beside it."""

    id: uuid.UUID
    size: int
    motion_id: uuid.UUID | None = None
    motion_size: int = 0
    motion_path: str | None = None


@dataclass(frozen=True, slots=True)
class StoredOriginal:
    """An asset's file as the database knows it; `edited_path` only when the edited one was asked for."""

    id: uuid.UUID
    file_name: str
    original_path: str
    edited_path: str | None
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One zip member: its unique name in the archive and where to read it from."""

    name: str
    kind: str
    key: str
    modified_at: datetime
