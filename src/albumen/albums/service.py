"""Albums: create, list, read, update, delete; their assets and their members with roles.

Behaviour follows Immich v3.1.0's album service. The owner is the album_user row with role 'owner';
editors may add and remove assets, rename the album and manage members; viewers only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.albums.repository import AlbumRepository
from albumen.albums.schemas import OWNER, album_response, member_id, sort_additions, sort_removals
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import BadRequest
from albumen.models import Album
from albumen.notifications.service import announce_album_invite, announce_album_update
from albumen.users.repository import UserRepository
from albumen.users.schemas import PREFERENCES_KEY, null_fields, preferences

Reason = dto.BulkIdErrorReason


class AlbumService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.albums = AlbumRepository(db)
        self.users = UserRepository(db)
        self.access = AccessService(db)

    # -- reading --------------------------------------------------------------------------------------

    async def get_all(
        self,
        auth: AuthContext,
        *,
        asset_id: uuid.UUID | None = None,
        album_id: uuid.UUID | None = None,
        name: str | None = None,
        is_owned: bool | None = None,
        is_shared: bool | None = None,
    ) -> list[dto.AlbumResponseDto]:
        """The caller's albums (owned and shared with them); an asset id overrides the other filters."""
        await self.albums.refresh_thumbnails(member_id=auth.user.id)
        if asset_id is not None:
            albums = await self.albums.list_with_asset(auth.user.id, asset_id)
        else:
            albums = await self.albums.list_for_member(
                auth.user.id, is_owned=is_owned, is_shared=is_shared, album_id=album_id, name=name
            )
        return await self.describe(auth, albums)

    async def get(self, auth: AuthContext, album_id: uuid.UUID) -> dto.AlbumResponseDto:
        await self.access.require(auth, dto.Permission.album_read, [album_id])
        await self.albums.refresh_thumbnails(album_ids=[album_id])
        album = await self._find(album_id)
        (response,) = await self.describe(auth, [album], with_contributors=True)
        return response

    async def statistics(self, auth: AuthContext) -> dto.AlbumStatisticsResponseDto:
        owned, shared, not_shared = await self.albums.statistics(auth.user.id)
        return dto.AlbumStatisticsResponseDto(owned=owned, shared=shared, notShared=not_shared)

    async def describe(
        self, auth: AuthContext, albums: Sequence[Album], *, with_contributors: bool = False
    ) -> list[dto.AlbumResponseDto]:
        """Album rows as AlbumResponseDto, a few queries for the whole list rather than per album.

        `with_contributors`: per-owner asset counts on shared albums, as Immich's single-album read.
        """
        ids = [album.id for album in albums]
        members = await self.albums.members(ids)
        linked = await self.albums.with_shared_links(ids)
        summaries = await self.albums.asset_summaries(ids)
        responses = []
        for album in albums:
            shared = len(members[album.id]) > 1 or album.id in linked
            contributors = (
                await self.albums.contributor_counts(album.id) if with_contributors and shared else None
            )
            responses.append(
                album_response(
                    album,
                    members[album.id],
                    summary=summaries.get(album.id),
                    has_shared_link=album.id in linked,
                    auth_user_id=auth.user.id,
                    contributor_counts=contributors,
                )
            )
        return responses

    # -- writing the album ----------------------------------------------------------------------------

    async def create(self, auth: AuthContext, body: dto.CreateAlbumDto) -> dto.AlbumResponseDto:
        issues = null_fields(body, ("description", "albumUsers", "assetIds"))
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        members: dict[uuid.UUID, str] = {auth.user.id: OWNER}
        for album_user in body.albumUsers or []:
            if album_user.userId in members:
                continue  # the owner listed again (Immich drops it), or a user listed twice
            if album_user.role == dto.AlbumUserRole.owner:
                raise BadRequest("Cannot add another owner")
            if await self.users.get(album_user.userId) is None:
                raise BadRequest("Invalid user")
            members[album_user.userId] = album_user.role.value

        # Assets the caller may not share are left out silently, as Immich does.
        wanted = list(dict.fromkeys(asset_id.root for asset_id in body.assetIds or []))
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, wanted)
        asset_ids = [asset_id for asset_id in wanted if asset_id in allowed]

        prefs = preferences((await self.users.get_metadata(auth.user.id)).get(PREFERENCES_KEY))
        album = await self.albums.create(
            members=list(members.items()),
            asset_ids=asset_ids,
            album_name=body.albumName,
            description=body.description or "",
            album_thumbnail_asset_id=asset_ids[0] if asset_ids else None,
            order=prefs["albums"]["defaultAssetOrder"],
        )
        for user_id in members:
            if user_id != auth.user.id:
                announce_album_invite(self.db, album.id, user_id, auth.user.name)
        (response,) = await self.describe(auth, [album])
        return response

    async def update(
        self, auth: AuthContext, album_id: uuid.UUID, body: dto.UpdateAlbumDto
    ) -> dto.AlbumResponseDto:
        issues = null_fields(
            body, ("albumName", "description", "albumThumbnailAssetId", "isActivityEnabled", "order")
        )
        if issues:
            raise BadRequest("Validation failed", errors=issues)
        await self.access.require(auth, dto.Permission.album_update, [album_id])
        await self._find(album_id)
        thumbnail = body.albumThumbnailAssetId
        if thumbnail is not None and not await self.albums.asset_ids_in(album_id, [thumbnail]):
            raise BadRequest("Invalid album thumbnail")
        album = await self.albums.update(
            album_id,
            album_name=body.albumName,
            description=body.description,
            album_thumbnail_asset_id=thumbnail,
            is_activity_enabled=body.isActivityEnabled,
            order=body.order.value if body.order else None,
        )
        (response,) = await self.describe(auth, [album])
        return response

    async def delete(self, auth: AuthContext, album_id: uuid.UUID) -> None:
        await self.access.require(auth, dto.Permission.album_delete, [album_id])
        await self.albums.delete(album_id)

    # -- assets ---------------------------------------------------------------------------------------

    async def add_assets(
        self, auth: AuthContext, album_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        """Per id: duplicate (already there, or repeated), no_permission (not shareable by the caller,
        or no such asset), else added. The first asset added becomes the thumbnail if none is set."""
        album = await self._find(album_id)
        await self.access.require(auth, dto.Permission.albumAsset_create, [album_id])
        wanted = [item.root for item in body.ids]
        present = await self.albums.asset_ids_in(album_id, wanted)
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, set(wanted) - present)
        results, added = sort_additions(wanted, present, allowed)
        if added:
            await self.albums.add_assets((album_id, asset_id) for asset_id in added)
            await self.albums.update(
                album_id, album_thumbnail_asset_id=album.album_thumbnail_asset_id or added[0]
            )
            await self._announce_update(auth, album_id, notify_others=True)
        return results

    async def add_assets_to_albums(
        self, auth: AuthContext, body: dto.AlbumsAddAssetsDto
    ) -> dto.AlbumsAddAssetsResponseDto:
        """Every shareable asset into every album the caller may add to; one answer for the lot:
        success if anything was added, else no_permission (nothing allowed) or duplicate."""
        album_ids = list(dict.fromkeys(item.root for item in body.albumIds))
        asset_ids = list(dict.fromkeys(item.root for item in body.assetIds))
        allowed_albums = await self.access.allowed(auth, dto.Permission.albumAsset_create, album_ids)
        if not allowed_albums:
            return dto.AlbumsAddAssetsResponseDto(success=False, error=Reason.no_permission)
        allowed = await self.access.allowed(auth, dto.Permission.asset_share, asset_ids)
        if not allowed:
            return dto.AlbumsAddAssetsResponseDto(success=False, error=Reason.no_permission)
        shareable = [asset_id for asset_id in asset_ids if asset_id in allowed]
        pairs: list[tuple[uuid.UUID, uuid.UUID]] = []
        updated: list[uuid.UUID] = []
        for album_id in album_ids:
            if album_id not in allowed_albums:
                continue
            present = await self.albums.asset_ids_in(album_id, shareable)
            missing = [asset_id for asset_id in shareable if asset_id not in present]
            if not missing:
                continue
            album = await self._find(album_id)
            updated.append(album_id)
            pairs.extend((album_id, asset_id) for asset_id in missing)
            await self.albums.update(
                album_id, album_thumbnail_asset_id=album.album_thumbnail_asset_id or missing[0]
            )
        if not pairs:
            return dto.AlbumsAddAssetsResponseDto(success=False, error=Reason.duplicate)
        await self.albums.add_assets(pairs)
        for album_id in updated:
            await self._announce_update(auth, album_id, notify_others=True)
        return dto.AlbumsAddAssetsResponseDto(success=True)

    async def remove_assets(
        self, auth: AuthContext, album_id: uuid.UUID, body: dto.BulkIdsDto
    ) -> list[dto.BulkIdResponseDto]:
        """Per id: not_found (not in the album, or repeated), no_permission, else removed. The owner
        may remove anything; an editor only assets they could share (their own, their partners')."""
        await self.access.require(auth, dto.Permission.albumAsset_delete, [album_id])
        album = await self._find(album_id)
        wanted = [item.root for item in body.ids]
        present = await self.albums.asset_ids_in(album_id, wanted)
        if await self.access.allowed(auth, dto.Permission.album_delete, [album_id]):
            allowed = set(present)
        else:
            allowed = await self.access.allowed(auth, dto.Permission.asset_share, present)
        results, removed = sort_removals(wanted, present, allowed)
        if removed:
            await self.albums.remove_assets(album_id, removed)
            if album.album_thumbnail_asset_id in removed:
                await self.albums.refresh_thumbnails(album_ids=[album_id])
            await self._announce_update(auth, album_id, notify_others=False)
        return results

    # -- members --------------------------------------------------------------------------------------

    async def add_users(
        self, auth: AuthContext, album_id: uuid.UUID, body: dto.AddUsersDto
    ) -> dto.AlbumResponseDto:
        """Members already in the album (the owner included) are skipped, not changed."""
        await self.access.require(auth, dto.Permission.album_share, [album_id])
        await self._find(album_id)
        current = {member.user.id for member in (await self.albums.members([album_id]))[album_id]}
        added = False
        for album_user in body.albumUsers:
            if album_user.role == dto.AlbumUserRole.owner:
                raise BadRequest("Cannot add another owner")
            if album_user.userId in current:
                continue
            if await self.users.get(album_user.userId) is None:
                raise BadRequest("Invalid user")
            # The generated DTO's default role is the plain string "editor", hence the conversion.
            role = dto.AlbumUserRole(album_user.role)
            await self.albums.add_member(album_id, album_user.userId, role.value)
            announce_album_invite(self.db, album_id, album_user.userId, auth.user.name)
            current.add(album_user.userId)
            added = True
        album = await self.albums.update(album_id) if added else await self._find(album_id)
        (response,) = await self.describe(auth, [album])
        return response

    async def remove_user(self, auth: AuthContext, album_id: uuid.UUID, user: str) -> None:
        """Owners (and editors) remove anyone but the owner; any member may leave ("me")."""
        user_id = member_id(user, auth.user.id)
        await self._find(album_id)
        members = (await self.albums.members([album_id]))[album_id]
        member = next((m for m in members if m.user.id == user_id), None)
        if member is None:
            raise BadRequest("Album not shared with user")
        if member.role == OWNER and sum(m.role == OWNER for m in members) == 1:
            raise BadRequest("Cannot remove the last album owner")
        if user_id != auth.user.id:
            await self.access.require(auth, dto.Permission.album_share, [album_id])
        await self.albums.remove_member(album_id, user_id)

    async def update_user(
        self, auth: AuthContext, album_id: uuid.UUID, user: str, body: dto.UpdateAlbumUserDto
    ) -> None:
        """A role change for a member other than the owner; for a non-member it changes nothing."""
        user_id = member_id(user, auth.user.id)
        await self.access.require(auth, dto.Permission.album_share, [album_id])
        await self._find(album_id)
        members = (await self.albums.members([album_id]))[album_id]
        if any(m.role == OWNER and m.user.id == user_id for m in members):
            raise BadRequest("User is owner")
        # Ownership is not handed over here (Immich would break its one-owner index with a 500).
        if body.role == dto.AlbumUserRole.owner:
            raise BadRequest("Cannot add another owner")
        await self.albums.set_member_role(album_id, user_id, body.role.value)

    async def _announce_update(self, auth: AuthContext, album_id: uuid.UUID, *, notify_others: bool) -> None:
        """Members hear of changed assets; an addition also notifies the others (a removal does not)."""
        member_ids = [member.user.id for member in (await self.albums.members([album_id]))[album_id]]
        recipients = [user_id for user_id in member_ids if user_id != auth.user.id] if notify_others else []
        announce_album_update(self.db, album_id, member_ids, recipients)

    async def _find(self, album_id: uuid.UUID) -> Album:
        album = await self.albums.get(album_id)
        if album is None:
            raise BadRequest("Album not found")
        return album
