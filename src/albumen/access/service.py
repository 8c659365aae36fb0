"""The one place that decides whether a caller may touch a set of ids, answered in bulk.

Domain services call `require` (all or nothing: Immich's 400 "Not found or no <permission> access")
or `allowed` (the permitted subset, for bulk endpoints that report per id).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.repository import AccessRepository
from albumen.authn.schemas import AuthContext
from albumen.kit.errors import BadRequest

Check = Callable[[AccessRepository, AuthContext, set[uuid.UUID]], Awaitable[set[uuid.UUID]]]


async def _own_sessions(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_sessions(auth.user.id, ids)


async def _own_api_keys(repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.owned_api_keys(auth.user.id, ids)


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


async def _own_user(_repo: AccessRepository, auth: AuthContext, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Immich's timeline.download: a whole library by user id is the caller's own, never a partner's."""
    return ids & {auth.user.id}


_ALBUM_OWNER = _albums_for("owner")
_ALBUM_EDITOR = _albums_for("owner", "editor")
_ALBUM_MEMBER = _albums_for("owner", "editor", "viewer")

CHECKS: dict[str, Check] = {
    "asset.read": _seen_assets,
    "asset.view": _seen_assets,
    "asset.download": _seen_assets,
    "asset.share": _shareable_assets,
    "asset.update": _own_assets,
    "asset.delete": _own_assets,
    "asset.copy": _own_assets,
    "asset.upload": _own_assets,
    "album.read": _ALBUM_MEMBER,
    "album.download": _ALBUM_MEMBER,
    # Immich v3.1.0 lets editors rename the album and manage its members, not delete it.
    "album.update": _ALBUM_EDITOR,
    "album.delete": _ALBUM_OWNER,
    "album.share": _ALBUM_EDITOR,
    "album.addAsset": _ALBUM_EDITOR,
    "album.removeAsset": _ALBUM_EDITOR,
    "authDevice.delete": _own_sessions,
    "session.read": _own_sessions,
    "session.update": _own_sessions,
    "session.delete": _own_sessions,
    "session.lock": _own_sessions,
    "apiKey.read": _own_api_keys,
    "apiKey.update": _own_api_keys,
    "apiKey.delete": _own_api_keys,
    # Immich's names for adding and removing album assets (its messages quote them).
    "albumAsset.create": _ALBUM_EDITOR,
    "albumAsset.delete": _ALBUM_EDITOR,
    "timeline.download": _own_user,
}


class AccessService:
    def __init__(self, db: AsyncSession) -> None:
        self.repository = AccessRepository(db)

    async def allowed(self, auth: AuthContext, permission: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(ids)
        if not wanted:
            return set()
        if auth.shared_link_id is not None:
            return set()  # shared links reach only assets and albums, which register their own checks
        check = CHECKS.get(permission)
        if check is None:
            raise LookupError(f"no access rule for {permission}")
        return await check(self.repository, auth, wanted)

    async def require(self, auth: AuthContext, permission: str, ids: Iterable[uuid.UUID]) -> None:
        wanted = set(ids)
        if await self.allowed(auth, permission, wanted) != wanted:
            raise BadRequest(f"Not found or no {permission} access")
