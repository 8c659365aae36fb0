"""An asset's edits: read, replaced as a whole (each removed edit leaves an audit row for sync)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.media.editing import Edit
from albumen.models import Asset, AssetEdit, AssetEditAudit, AssetFile


class EditRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def edits(self, asset_id: uuid.UUID) -> Sequence[AssetEdit]:
        statement = select(AssetEdit).where(AssetEdit.asset_id == asset_id).order_by(AssetEdit.sequence)
        return (await self.db.scalars(statement)).all()

    async def replace(self, asset_id: uuid.UUID, edits: Sequence[Edit]) -> list[AssetEdit]:
        """The asset's edits become `edits` and its `is_edited` says whether it has any."""
        removed = (
            await self.db.scalars(
                delete(AssetEdit).where(AssetEdit.asset_id == asset_id).returning(AssetEdit.id)
            )
        ).all()
        self.db.add_all(AssetEditAudit(edit_id=edit_id, asset_id=asset_id) for edit_id in removed)
        rows = [
            AssetEdit(asset_id=asset_id, action=edit.action, parameters=dict(edit.parameters), sequence=index)
            for index, edit in enumerate(edits)
        ]
        self.db.add_all(rows)
        await self.db.flush()
        await self.db.execute(update(Asset).where(Asset.id == asset_id).values(is_edited=bool(rows)))
        return rows

    async def edited_files(self, asset_id: uuid.UUID) -> Sequence[AssetFile]:
        statement = select(AssetFile).where(AssetFile.asset_id == asset_id, AssetFile.is_edited.is_(True))
        return (await self.db.scalars(statement)).all()

    async def set_edited_files(self, asset_id: uuid.UUID, files: dict[str, str]) -> None:
        """The asset's edited renditions become `files` (type → key); others of its edited rows go."""
        await self.db.execute(
            delete(AssetFile).where(AssetFile.asset_id == asset_id, AssetFile.is_edited.is_(True))
        )
        self.db.add_all(
            AssetFile(asset_id=asset_id, type=kind, path=key, is_edited=True) for kind, key in files.items()
        )
        await self.db.flush()
