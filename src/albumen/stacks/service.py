"""Stacks: several assets of one owner shown as one, represented by the primary asset.

Behaviour follows Immich v3.1.0's stack service, including where a stack may end up with one member:
taking an asset out of a stack, moving a plain member into a new stack, or creating a stack from one id
listed twice all leave (or make) a one-member stack, as Immich does. Only deleting assets for good
dissolves a stack that would keep fewer than two members.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.assets.schemas import unique_ids
from albumen.authn.schemas import AuthContext
from albumen.events import messages
from albumen.immich import dto
from albumen.kit.effects import side_effects
from albumen.kit.errors import BadRequest
from albumen.models import Stack
from albumen.stacks.repository import StackRepository, StackSummary
from albumen.stacks.schemas import stack_response
from albumen.tags.repository import TagRepository

MIN_MEMBERS = 2


class StackService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.stacks = StackRepository(db)
        self.access = AccessService(db)

    # --- reading -------------------------------------------------------------------------------

    async def search(
        self, auth: AuthContext, primary_asset_id: uuid.UUID | None
    ) -> list[dto.StackResponseDto]:
        stacks = await self.stacks.search(auth.user.id, primary_asset_id)
        return await self._describe(stacks)

    async def get(self, auth: AuthContext, stack_id: uuid.UUID) -> dto.StackResponseDto:
        await self.access.require(auth, dto.Permission.stack_read, [stack_id])
        (response,) = await self._describe([await self._find(stack_id)])
        return response

    async def summary(self, stack_id: uuid.UUID | None) -> StackSummary | None:
        """The `stack` field of an asset response."""
        return None if stack_id is None else await self.stacks.summary(stack_id)

    # --- writing -------------------------------------------------------------------------------

    async def create(self, auth: AuthContext, body: dto.StackCreateDto) -> dto.StackResponseDto:
        """The first id becomes the primary. Stacks led by any of the ids merge into the new one, as in
        Immich; a listed asset that is a plain member elsewhere moves over, and the stack it leaves keeps
        its other members (even just one). The DTO asks for two ids; like Immich, not two distinct ones."""
        wanted = unique_ids([asset_id.root for asset_id in body.assetIds])
        await self.access.require(auth, dto.Permission.asset_update, wanted)
        merged = await self.stacks.stacks_led_by(auth.user.id, wanted)
        members = unique_ids([*wanted, *await self.stacks.live_members(merged)])
        await self.stacks.delete(merged)
        stack = await self.stacks.create(auth.user.id, wanted[0])
        await self.stacks.assign(members, stack.id)
        side_effects(self.db).emit(messages.asset_stack_update(auth.user.id))
        (response,) = await self._describe([stack])
        return response

    async def update(
        self, auth: AuthContext, stack_id: uuid.UUID, body: dto.StackUpdateDto
    ) -> dto.StackResponseDto:
        await self.access.require(auth, dto.Permission.stack_update, [stack_id])
        stack = await self._find(stack_id)
        if body.primaryAssetId is not None and body.primaryAssetId != stack.primary_asset_id:
            members = (await self.stacks.shown_members([stack_id])).get(stack_id, [])
            if all(asset.id != body.primaryAssetId for asset, _ in members):
                raise BadRequest("Primary asset must be in the stack")
            await self.stacks.set_primary(stack_id, body.primaryAssetId)
            await self.db.refresh(stack)
        side_effects(self.db).emit(messages.asset_stack_update(auth.user.id))
        (response,) = await self._describe([stack])
        return response

    async def remove_asset(self, auth: AuthContext, stack_id: uuid.UUID, asset_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.stack_update, [stack_id])
        if await self.stacks.stack_of(asset_id) != stack_id:
            raise BadRequest("Asset not in stack")
        stack = await self._find(stack_id)
        if stack.primary_asset_id == asset_id:
            raise BadRequest("Cannot remove stack's primary asset")
        await self.stacks.assign([asset_id], None)
        side_effects(self.db).emit(messages.asset_stack_update(auth.user.id))

    async def delete(self, auth: AuthContext, stack_ids: Sequence[uuid.UUID]) -> None:
        wanted = unique_ids(stack_ids)
        await self.access.require(auth, dto.Permission.stack_delete, wanted)
        await self.stacks.delete(wanted)
        side_effects(self.db).emit(messages.asset_stack_update(auth.user.id))

    async def release(self, asset_ids: Sequence[uuid.UUID]) -> None:
        """Before assets are deleted for good: a stack that would keep fewer than two members goes; one
        that loses its primary gets the best survivor (live, on the timeline, oldest) instead."""
        going = set(asset_ids)
        dissolve: list[uuid.UUID] = []
        for entry in await self.stacks.memberships(asset_ids):
            survivors = [member for member in entry.members if member not in going]
            if len(survivors) < MIN_MEMBERS:
                dissolve.append(entry.stack_id)
            elif entry.primary_asset_id in going:
                await self.stacks.set_primary(entry.stack_id, survivors[0])
        await self.stacks.delete(dissolve)

    # --- helpers -------------------------------------------------------------------------------

    async def _find(self, stack_id: uuid.UUID) -> Stack:
        stack = await self.stacks.get(stack_id)
        if stack is None:  # access said yes a moment ago; deleted since
            raise BadRequest("Asset stack not found")
        return stack

    async def _describe(self, stacks: Sequence[Stack]) -> list[dto.StackResponseDto]:
        members = await self.stacks.shown_members([stack.id for stack in stacks])
        # Immich answers a stack's assets with their tags.
        asset_ids = [asset.id for found in members.values() for asset, _ in found]
        tags = await TagRepository(self.db).of_assets(asset_ids)
        return [stack_response(stack, members.get(stack.id, []), tags) for stack in stacks]
