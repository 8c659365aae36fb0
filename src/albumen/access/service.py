"""The one place that decides whether a caller may touch a set of ids, answered in bulk.

Domain services call `require` (all or nothing: Immich's 400 "Not found or no <permission> access")
or `allowed` (the permitted subset, for bulk endpoints that report per id).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.repository import AccessRepository
from albumen.authn.schemas import AuthContext, AuthSharedLink
from albumen.immich import dto
from albumen.kit.errors import BadRequest

Check = Callable[[AccessRepository, AuthContext, set[uuid.UUID]], Awaitable[set[uuid.UUID]]]


async def _own_sessions(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_sessions(auth.user.id, ids)


async def _own_api_keys(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_api_keys(auth.user.id, ids)


async def _own_notifications(
    repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    return await repo.owned_notifications(auth.user.id, ids)


async def _own_people(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_people(auth.user.id, ids)


async def _own_assets(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    elevated = auth.session is not None and auth.session.has_elevated_permission
    return await repo.owned_assets(auth.user.id, ids, with_locked=elevated)


async def _own_unlocked_assets(
    repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    return await repo.owned_assets(auth.user.id, ids, with_locked=False)


async def _seen_assets(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Owner first, then albums the user is in, then partners: each query only sees what is left."""
    found = await _own_assets(repo, auth, ids)
    if left := ids - found:
        found |= await repo.album_assets(auth.user.id, left)
    if left := ids - found:
        found |= await repo.partner_assets(auth.user.id, left)
    return found


async def _shareable_assets(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    found = await _own_unlocked_assets(repo, auth, ids)
    if left := ids - found:
        found |= await repo.partner_assets(auth.user.id, left)
    return found


def _albums_for(*roles: str) -> Check:
    async def check(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        return await repo.albums_with_role(auth.user.id, ids, roles)

    return check


async def _own_stacks(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_stacks(auth.user.id, ids)


async def _own_memories(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_memories(auth.user.id, ids)


async def _sharing_partners(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.partners_sharing_with(auth.user.id, ids)


async def _own_user(_repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Immich's timeline.download: a whole library by user id is the caller's own, never a partner's."""
    return ids & {auth.user.id}


async def _own_or_partner_timeline(
    repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """A user's timeline: the caller's own, or a partner's who shares with the caller."""
    own = ids & {auth.user.id}
    if left := ids - own:
        own |= await repo.partners_sharing_with(auth.user.id, left)
    return own


async def _own_tags(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_tags(auth.user.id, ids)


async def _activity_albums(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Albums (by id) the caller may comment on or like: a member, and activity is enabled."""
    return await repo.activity_albums(auth.user.id, ids)


async def _removable_activities(
    repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Activities (by id) the caller may delete: their own, or any on an album they own."""
    found = await repo.authored_activities(auth.user.id, ids)
    if left := ids - found:
        found |= await repo.activities_in_owned_albums(auth.user.id, left)
    return found


_ALBUM_OWNER = _albums_for("owner")
_ALBUM_EDITOR = _albums_for("owner", "editor")
_ALBUM_MEMBER = _albums_for("owner", "editor", "viewer")

CHECKS: dict[dto.Permission, Check] = {
    dto.Permission.asset_read: _seen_assets,
    dto.Permission.asset_view: _seen_assets,
    dto.Permission.asset_download: _seen_assets,
    dto.Permission.asset_share: _shareable_assets,
    dto.Permission.asset_update: _own_assets,
    dto.Permission.asset_delete: _own_assets,
    dto.Permission.asset_copy: _own_assets,
    dto.Permission.asset_upload: _own_assets,
    dto.Permission.asset_edit_get: _own_assets,
    dto.Permission.asset_edit_create: _own_assets,
    dto.Permission.asset_edit_delete: _own_assets,
    dto.Permission.album_read: _ALBUM_MEMBER,
    dto.Permission.album_download: _ALBUM_MEMBER,
    # Immich v3.1.0 lets editors rename the album and manage its members, not delete it.
    dto.Permission.album_update: _ALBUM_EDITOR,
    dto.Permission.album_delete: _ALBUM_OWNER,
    dto.Permission.album_share: _ALBUM_EDITOR,
    dto.Permission.authDevice_delete: _own_sessions,
    dto.Permission.session_read: _own_sessions,
    dto.Permission.session_update: _own_sessions,
    dto.Permission.session_delete: _own_sessions,
    dto.Permission.session_lock: _own_sessions,
    dto.Permission.apiKey_read: _own_api_keys,
    dto.Permission.apiKey_update: _own_api_keys,
    dto.Permission.apiKey_delete: _own_api_keys,
    # Immich's names for adding and removing album assets (its messages quote them).
    dto.Permission.albumAsset_create: _ALBUM_EDITOR,
    dto.Permission.albumAsset_delete: _ALBUM_EDITOR,
    dto.Permission.timeline_download: _own_user,
    dto.Permission.stack_read: _own_stacks,
    dto.Permission.stack_update: _own_stacks,
    dto.Permission.stack_delete: _own_stacks,
    dto.Permission.memory_read: _own_memories,
    dto.Permission.memory_update: _own_memories,
    dto.Permission.memory_delete: _own_memories,
    dto.Permission.partner_update: _sharing_partners,
    dto.Permission.timeline_read: _own_or_partner_timeline,
    # Archived assets are never shown to partners.
    dto.Permission.archive_read: _own_user,
    dto.Permission.tag_read: _own_tags,
    dto.Permission.tag_update: _own_tags,
    dto.Permission.tag_delete: _own_tags,
    dto.Permission.tag_asset: _own_tags,
    dto.Permission.person_read: _own_people,
    dto.Permission.notification_read: _own_notifications,
    dto.Permission.notification_update: _own_notifications,
    dto.Permission.notification_delete: _own_notifications,
    dto.Permission.person_update: _own_people,
    dto.Permission.person_delete: _own_people,
    dto.Permission.person_statistics: _own_people,
    dto.Permission.person_merge: _own_people,
    dto.Permission.activity_create: _activity_albums,
    dto.Permission.activity_delete: _removable_activities,
}


LinkCheck = Callable[[AccessRepository, AuthSharedLink, set[uuid.UUID]], Awaitable[set[uuid.UUID]]]


async def _link_assets(repo: AccessRepository, link: AuthSharedLink, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.shared_link_assets(link.id, ids)


async def _link_albums(repo: AccessRepository, link: AuthSharedLink, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.shared_link_albums(link.id, ids)


def _when(flag: str, check: LinkCheck) -> LinkCheck:
    """`check`, only for a link whose `flag` (allow_download, allow_upload) is on."""

    async def guarded(repo: AccessRepository, link: AuthSharedLink, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        return await check(repo, link, ids) if getattr(link, flag) else set()

    return guarded


async def _link_owner(_repo: AccessRepository, link: AuthSharedLink, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    # asset.upload is asked about the uploader: through a link that is the link's owner.
    return ids


# What a shared-link credential may do; every other permission is refused.
SHARED_LINK_CHECKS: dict[dto.Permission, LinkCheck] = {
    dto.Permission.asset_read: _link_assets,
    dto.Permission.asset_view: _link_assets,
    dto.Permission.asset_download: _when("allow_download", _link_assets),
    dto.Permission.asset_upload: _when("allow_upload", _link_owner),
    dto.Permission.album_read: _link_albums,
    dto.Permission.album_download: _when("allow_download", _link_albums),
    dto.Permission.albumAsset_create: _when("allow_upload", _link_albums),
}


class AccessService:
    def __init__(self, db: AsyncSession) -> None:
        self.repository = AccessRepository(db)

    async def allowed(
        self, auth: AuthContext, permission: dto.Permission, ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        wanted = set(ids)
        if not wanted:
            return set()
        if auth.shared_link is not None:
            link_check = SHARED_LINK_CHECKS.get(permission)
            return await link_check(self.repository, auth.shared_link, wanted) if link_check else set()
        check = CHECKS.get(permission)
        if check is None:
            raise LookupError(f"no access rule for {permission}")
        return await check(self.repository, auth, wanted)

    async def require(self, auth: AuthContext, permission: dto.Permission, ids: Iterable[uuid.UUID]) -> None:
        wanted = set(ids)
        if await self.allowed(auth, permission, wanted) != wanted:
            raise BadRequest(f"Not found or no {permission} access")
