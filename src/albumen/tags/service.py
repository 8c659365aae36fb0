"""Tags: each user's own hierarchy of labels ("Travel/2024/Japan"), put on their assets by hand or read
from the files' keywords, and found again through search and the timeline (a tag finds its children's
assets too).

Behaviour follows Immich v3.1.0's tag service, with two differences: only the owner of an asset tags it
(Immich lets a partner tag a partner's asset, which writes into that owner's files), and deleting a tag
takes its values off the assets' exif and sidecars too, so a later metadata extraction does not bring
it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.albums.schemas import sort_additions, sort_removals
from albumen.assets.schemas import unique_ids
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.jobs.schemas import JobName
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest
from albumen.models import Tag
from albumen.tags.repository import TagRepository
from albumen.tags.schemas import hex_color, require_fits, tag_response


class TagService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.tags = TagRepository(db)
        self.access = AccessService(db)

    # --- the tags ------------------------------------------------------------------------------

    async def get_all(self, auth: AuthContext) -> list[dto.TagResponseDto]:
        return [tag_response(tag) for tag in await self.tags.all_of(auth.user.id)]

    async def get(self, auth: AuthContext, tag_id: uuid.UUID) -> dto.TagResponseDto:
        await self.access.require(auth, dto.Permission.tag_read, [tag_id])
        return tag_response(await self._find(tag_id))

    async def create(self, auth: AuthContext, body: dto.TagCreateDto) -> dto.TagResponseDto:
        parent: Tag | None = None
        if body.parentId is not None:
            await self.access.require(auth, dto.Permission.tag_read, [body.parentId])
            parent = await self._find(body.parentId)
        value = f"{parent.value}/{body.name}" if parent else body.name
        require_fits(value)
        created = None
        if await self.tags.by_value(auth.user.id, value) is None:
            created = await self.tags.create(
                auth.user.id, value, hex_color(body.color), parent.id if parent else None
            )
        if created is None:
            raise BadRequest("A tag with that name already exists")
        return tag_response(created)

    async def upsert(self, auth: AuthContext, body: dto.TagUpsertDto) -> list[dto.TagResponseDto]:
        """Each value with all its levels, made where missing; one answer per distinct value."""
        for value in body.tags:
            require_fits(value)  # a path's levels are never longer than the path
        found = []
        for value in dict.fromkeys(body.tags):
            if (tag := await self.tags.upsert_levels(auth.user.id, value)) is not None:
                found.append(tag_response(tag))
        return found

    async def update(
        self, auth: AuthContext, tag_id: uuid.UUID, body: dto.TagUpdateDto
    ) -> dto.TagResponseDto:
        await self.access.require(auth, dto.Permission.tag_update, [tag_id])
        if "color" in body.model_fields_set:  # absent leaves it; null clears it
            await self.tags.set_color(tag_id, hex_color(body.color))
        return tag_response(await self._find(tag_id))

    async def delete(self, auth: AuthContext, tag_id: uuid.UUID) -> None:
        """The tag and every tag below it; their assets lose the values from exif and sidecar."""
        await self.access.require(auth, dto.Permission.tag_delete, [tag_id])
        affected = await self.tags.assets_under(tag_id)
        await self.tags.delete(tag_id)
        await self._retagged(affected)

    async def clean_up(self) -> int:
        """TagCleanup: tags with no asset, themselves or below them, are deleted."""
        return await self.tags.delete_unused()

    # --- tagged assets -------------------------------------------------------------------------

    async def bulk_tag(self, auth: AuthContext, body: dto.TagBulkAssetsDto) -> dto.TagBulkAssetsResponseDto:
        """Every allowed tag on every allowed asset; ids the caller may not use are skipped silently.
        The count is of pairs newly made."""
        tag_ids = unique_ids([item.root for item in body.tagIds])
        asset_ids = unique_ids([item.root for item in body.assetIds])
        allowed_tags = await self.access.allowed(auth, dto.Permission.tag_asset, tag_ids)
        allowed_assets = await self.access.allowed(auth, dto.Permission.asset_update, asset_ids)
        added = await self.tags.add(
            [tag for tag in tag_ids if tag in allowed_tags],
            [asset for asset in asset_ids if asset in allowed_assets],
        )
        await self._retagged(added)
        return dto.TagBulkAssetsResponseDto(count=len(added))

    async def add_assets(
        self, auth: AuthContext, tag_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        await self.access.require(auth, dto.Permission.tag_asset, [tag_id])
        ids = [item.root for item in body.ids]
        present = await self.tags.tagged(tag_id, ids)
        allowed = await self.access.allowed(auth, dto.Permission.asset_update, set(ids) - present)
        results, added = sort_additions(ids, present, allowed)
        await self.tags.add([tag_id], added)
        await self._retagged(added)
        return results

    async def remove_assets(
        self, auth: AuthContext, tag_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        """The tag's owner may take it off any asset that carries it."""
        await self.access.require(auth, dto.Permission.tag_asset, [tag_id])
        ids = [item.root for item in body.ids]
        present = await self.tags.tagged(tag_id, ids)
        results, removed = sort_removals(ids, present, present)
        await self.tags.remove(tag_id, removed)
        await self._retagged(removed)
        return results

    # --- helpers -------------------------------------------------------------------------------

    async def _find(self, tag_id: uuid.UUID) -> Tag:
        tag = await self.tags.get(tag_id)
        if tag is None:
            raise BadRequest("Tag not found")
        return tag

    async def _retagged(self, asset_ids: Iterable[uuid.UUID]) -> None:
        """Assets whose tags changed: the values go to their exif (locked) and, by SidecarWrite, into
        their XMP sidecar, which queues a metadata extraction as any hand edit does."""
        changed = list(dict.fromkeys(asset_ids))
        if not changed:
            return
        await self.tags.record_on_exif(changed)
        effects = side_effects(self.db)
        for asset_id in changed:
            effects.queue(JobName.SidecarWrite, {"id": str(asset_id)})
