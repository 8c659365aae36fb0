"""Bulk ownership queries: given many ids, which belong to (or are shared with) this user."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.models import (
    Activity,
    Album,
    AlbumAsset,
    AlbumUser,
    ApiKey,
    Asset,
    Memory,
    Notification,
    Partner,
    Person,
    Session,
    SharedLink,
    SharedLinkAsset,
    Stack,
    Tag,
    User,
)

# Partners see what the owner shows on the timeline (and live-photo motion parts, which are hidden).
PARTNER_VISIBLE = ("timeline", "hidden")


class AccessRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def owned_sessions(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Session.id).where(Session.user_id == user_id, among(Session.id, ids))
        )
        return set(result.all())

    async def owned_api_keys(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(ApiKey.id).where(ApiKey.user_id == user_id, among(ApiKey.id, ids))
        )
        return set(result.all())

    async def owned_notifications(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Notification.id).where(Notification.user_id == user_id, among(Notification.id, ids))
        )
        return set(result.all())

    async def owned_stacks(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Stack.id).where(Stack.owner_id == user_id, among(Stack.id, ids))
        )
        return set(result.all())

    async def owned_memories(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Memory.id).where(Memory.owner_id == user_id, among(Memory.id, ids))
        )
        return set(result.all())

    async def owned_assets(
        self, user_id: uuid.UUID, ids: set[uuid.UUID], *, with_locked: bool
    ) -> set[uuid.UUID]:
        """Locked-folder assets count only for a session that entered its PIN."""
        statement = select(Asset.id).where(Asset.owner_id == user_id, among(Asset.id, ids))
        if not with_locked:
            statement = statement.where(Asset.visibility != "locked")
        return set((await self.db.scalars(statement)).all())

    async def partner_assets(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        statement = (
            select(Asset.id)
            .join(Partner, Partner.shared_by_id == Asset.owner_id)
            .join(User, (User.id == Partner.shared_by_id) & User.deleted_at.is_(None))
            .where(
                Partner.shared_with_id == user_id,
                among(Asset.id, ids),
                Asset.deleted_at.is_(None),
                Asset.visibility.in_(PARTNER_VISIBLE),
            )
        )
        return set((await self.db.scalars(statement)).all())

    async def album_assets(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Assets in a live album the user belongs to, and the motion parts of those assets."""
        statement = (
            select(Asset.id, Asset.live_photo_video_id)
            .join(AlbumAsset, AlbumAsset.asset_id == Asset.id)
            .join(Album, (Album.id == AlbumAsset.album_id) & Album.deleted_at.is_(None))
            .join(AlbumUser, AlbumUser.album_id == Album.id)
            .where(
                AlbumUser.user_id == user_id,
                Asset.deleted_at.is_(None),
                or_(among(Asset.id, ids), among(Asset.live_photo_video_id, ids)),
            )
        )
        found: set[uuid.UUID] = set()
        for asset_id, motion_id in (await self.db.execute(statement)).all():
            found.update(candidate for candidate in (asset_id, motion_id) if candidate in ids)
        return found

    async def albums_with_role(
        self, user_id: uuid.UUID, ids: set[uuid.UUID], roles: tuple[str, ...]
    ) -> set[uuid.UUID]:
        statement = (
            select(Album.id)
            .join(AlbumUser, AlbumUser.album_id == Album.id)
            .where(
                among(Album.id, ids),
                Album.deleted_at.is_(None),
                AlbumUser.user_id == user_id,
                AlbumUser.role.in_(roles),
            )
        )
        return set((await self.db.scalars(statement)).all())

    async def partners_sharing_with(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Of `ids`, the users (not deleted) who share their library with `user_id`."""
        statement = (
            select(Partner.shared_by_id)
            .join(User, (User.id == Partner.shared_by_id) & User.deleted_at.is_(None))
            .where(Partner.shared_with_id == user_id, among(Partner.shared_by_id, ids))
        )
        return set((await self.db.scalars(statement)).all())

    async def owned_tags(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(select(Tag.id).where(Tag.user_id == user_id, among(Tag.id, ids)))
        return set(result.all())

    async def owned_people(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Person.id).where(Person.owner_id == user_id, among(Person.id, ids))
        )
        return set(result.all())

    async def shared_link_assets(self, link_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Live assets a link opens (its own, or its live album's) and their motion parts."""
        linked = select(SharedLinkAsset.asset_id.label("asset_id")).where(
            SharedLinkAsset.shared_link_id == link_id
        )
        in_album = (
            select(AlbumAsset.asset_id.label("asset_id"))
            .join(SharedLink, SharedLink.album_id == AlbumAsset.album_id)
            .join(Album, (Album.id == AlbumAsset.album_id) & Album.deleted_at.is_(None))
            .where(SharedLink.id == link_id)
        )
        reached = linked.union_all(in_album).subquery()
        statement = (
            select(Asset.id, Asset.live_photo_video_id)
            .join(reached, reached.c.asset_id == Asset.id)
            .where(
                Asset.deleted_at.is_(None),
                or_(among(Asset.id, ids), among(Asset.live_photo_video_id, ids)),
            )
        )
        found: set[uuid.UUID] = set()
        for asset_id, motion_id in (await self.db.execute(statement)).all():
            found.update(candidate for candidate in (asset_id, motion_id) if candidate in ids)
        return found

    async def shared_link_albums(self, link_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        statement = (
            select(Album.id)
            .join(SharedLink, SharedLink.album_id == Album.id)
            .where(SharedLink.id == link_id, Album.deleted_at.is_(None), among(Album.id, ids))
        )
        return set((await self.db.scalars(statement)).all())

    async def activity_albums(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Of album `ids`, the live ones with activity enabled that `user_id` (not deleted) belongs to."""
        statement = (
            select(Album.id)
            .join(AlbumUser, AlbumUser.album_id == Album.id)
            .join(User, (User.id == AlbumUser.user_id) & User.deleted_at.is_(None))
            .where(
                among(Album.id, ids),
                Album.deleted_at.is_(None),
                Album.is_activity_enabled.is_(True),
                AlbumUser.user_id == user_id,
            )
        )
        return set((await self.db.scalars(statement)).all())

    async def authored_activities(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.db.scalars(
            select(Activity.id).where(Activity.user_id == user_id, among(Activity.id, ids))
        )
        return set(result.all())

    async def activities_in_owned_albums(self, user_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Activities on a live album `user_id` owns: the owner may remove anyone's comment."""
        statement = (
            select(Activity.id)
            .join(Album, (Album.id == Activity.album_id) & Album.deleted_at.is_(None))
            .join(AlbumUser, AlbumUser.album_id == Album.id)
            .where(among(Activity.id, ids), AlbumUser.user_id == user_id, AlbumUser.role == "owner")
        )
        return set((await self.db.scalars(statement)).all())
