"""User rows and their key/value metadata."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.ids import uuid7
from albumen.models import (
    Album,
    AlbumAudit,
    AlbumUser,
    AlbumUserAudit,
    Asset,
    AssetExif,
    Partner,
    PartnerAudit,
    Stack,
    StackAudit,
    User,
    UserAudit,
    UserMetadata,
    UserMetadataAudit,
)


class UserRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: uuid.UUID, *, with_deleted: bool = False) -> User | None:
        statement = select(User).where(User.id == user_id)
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        return await self.db.scalar(statement)

    async def get_by_email(self, email: str, *, with_deleted: bool = False) -> User | None:
        statement = select(User).where(func.lower(User.email) == email.strip().lower())
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        return await self.db.scalar(statement)

    async def get_by_oauth_id(self, oauth_id: str) -> User | None:
        return await self.db.scalar(select(User).where(User.oauth_id == oauth_id, User.deleted_at.is_(None)))

    async def get_by_storage_label(self, label: str) -> User | None:
        """Deleted users included: the label stays unique in the table until the row is removed."""
        return await self.db.scalar(select(User).where(User.storage_label == label))

    async def get_admin(self) -> User | None:
        return await self.db.scalar(
            select(User).where(User.is_admin.is_(True), User.deleted_at.is_(None)).limit(1)
        )

    async def has_admin(self) -> bool:
        return await self.get_admin() is not None

    async def create(self, **values: Any) -> User:
        user = User(**values)
        self.db.add(user)
        await self.db.flush()
        await self.db.refresh(user)
        return user

    async def update(self, user_id: uuid.UUID, **values: Any) -> User:
        await self.db.execute(update(User).where(User.id == user_id).values(**values))
        user = await self.db.get(User, user_id, populate_existing=True)
        assert user is not None
        return user

    async def list(
        self, *, with_deleted: bool = False, user_id: uuid.UUID | None = None, newest_first: bool = False
    ) -> Sequence[User]:
        statement = select(User).order_by(User.created_at.desc() if newest_first else User.created_at)
        if not with_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        if user_id is not None:
            statement = statement.where(User.id == user_id)
        return (await self.db.scalars(statement)).all()

    async def restore(self, user_id: uuid.UUID) -> User:
        return await self.update(user_id, status="active", deleted_at=None)

    async def sync_usage(self, user_id: uuid.UUID) -> None:
        """Recomputes the bytes a user's uploads take (external-library files do not count)."""
        usage = (
            select(func.coalesce(func.sum(AssetExif.file_size_in_byte), 0))
            .select_from(Asset)
            .outerjoin(AssetExif, AssetExif.asset_id == Asset.id)
            .where(Asset.owner_id == User.id, Asset.library_id.is_(None))
            .scalar_subquery()
        )
        await self.db.execute(
            update(User)
            .where(User.id == user_id, User.deleted_at.is_(None))
            .values(quota_usage_in_bytes=usage)
        )

    async def set_owned_albums_deleted(self, user_id: uuid.UUID, deleted_at: datetime | None) -> None:
        """Trashes (or brings back) the albums a user owns, together with the user."""
        owned = select(AlbumUser.album_id).where(AlbumUser.user_id == user_id, AlbumUser.role == "owner")
        await self.db.execute(update(Album).where(Album.id.in_(owned)).values(deleted_at=deleted_at))

    async def asset_counts(
        self,
        user_id: uuid.UUID,
        *,
        visibility: str | None = None,
        is_favorite: bool | None = None,
        is_trashed: bool | None = None,
    ) -> dict[str, int]:
        """Assets per type (IMAGE, VIDEO, AUDIO, OTHER) of one owner, with Immich's statistics filters."""
        statement = select(Asset.type, func.count()).where(Asset.owner_id == user_id).group_by(Asset.type)
        if visibility is None:
            statement = statement.where(Asset.visibility.in_(("archive", "timeline")))
        else:
            statement = statement.where(Asset.visibility == visibility)
        if is_favorite is not None:
            statement = statement.where(Asset.is_favorite.is_(is_favorite))
        if is_trashed:
            statement = statement.where(Asset.status != "deleted", Asset.deleted_at.is_not(None))
        else:
            statement = statement.where(Asset.deleted_at.is_(None))
        rows = (await self.db.execute(statement)).all()
        return {str(kind): int(count) for kind, count in rows}

    async def assets_per_day(
        self, user_id: uuid.UUID, start: datetime, end: datetime, *, by_taken_date: bool
    ) -> dict[date, int]:
        """Non-deleted assets of one owner per UTC day in [start, end), by upload or capture date."""
        column = Asset.local_date_time if by_taken_date else Asset.created_at
        day = cast(func.timezone("UTC", column), Date)
        statement = (
            select(day, func.count())
            .where(Asset.owner_id == user_id, column >= start, column < end, Asset.deleted_at.is_(None))
            .group_by(day)
        )
        return {found: int(count) for found, count in (await self.db.execute(statement)).all()}

    async def deleted_before(self, cutoff: datetime) -> Sequence[User]:
        statement = select(User).where(User.deleted_at.is_not(None), User.deleted_at < cutoff)
        return (await self.db.scalars(statement)).all()

    async def owned_asset_ids(self, user_id: uuid.UUID, limit: int) -> Sequence[uuid.UUID]:
        """Up to `limit` of a user's assets, any state (trashed, hidden, in an external library)."""
        statement = select(Asset.id).where(Asset.owner_id == user_id).order_by(Asset.id).limit(limit)
        return (await self.db.scalars(statement)).all()

    async def delete_stacks(self, user_id: uuid.UUID) -> None:
        """A stack's primary asset may not go while the stack stays, so a purged user's stacks go first."""
        stack_ids = (
            await self.db.scalars(delete(Stack).where(Stack.owner_id == user_id).returning(Stack.id))
        ).all()
        if stack_ids:
            await self.db.execute(
                insert(StackAudit), [{"stack_id": stack_id, "user_id": user_id} for stack_id in stack_ids]
            )

    async def delete_owned_albums(self, user_id: uuid.UUID) -> None:
        """The albums a user owns go with the user; shared albums of others only lose the member."""
        owned = select(AlbumUser.album_id).where(AlbumUser.user_id == user_id, AlbumUser.role == "owner")
        # Every member's phone drops the album (the sync stream reads album_audit).
        members = (
            await self.db.execute(
                select(AlbumUser.album_id, AlbumUser.user_id).where(AlbumUser.album_id.in_(owned))
            )
        ).all()
        if members:
            await self.db.execute(
                insert(AlbumAudit),
                [{"album_id": album_id, "user_id": member} for album_id, member in members],
            )
        await self.db.execute(delete(Album).where(Album.id.in_(owned)))

    async def delete_for_good(self, user_id: uuid.UUID) -> None:
        """The row, and by the foreign keys' cascades whatever else still names the user (sessions, API
        keys, libraries, tags, partners, memberships, metadata, ...)."""
        # The cascades take partnerships and memberships in others' albums; their audit rows tell the
        # other users' phones.
        partners = (
            await self.db.execute(
                select(Partner.shared_by_id, Partner.shared_with_id).where(
                    (Partner.shared_by_id == user_id) | (Partner.shared_with_id == user_id)
                )
            )
        ).all()
        if partners:
            await self.db.execute(
                insert(PartnerAudit),
                [{"shared_by_id": by, "shared_with_id": with_} for by, with_ in partners],
            )
        memberships = (
            await self.db.scalars(select(AlbumUser.album_id).where(AlbumUser.user_id == user_id))
        ).all()
        if memberships:
            rows = [{"album_id": album_id, "user_id": user_id} for album_id in memberships]
            await self.db.execute(insert(AlbumAudit), rows)
            await self.db.execute(insert(AlbumUserAudit), rows)
        await self.db.execute(delete(User).where(User.id == user_id))
        await self.db.execute(insert(UserAudit).values(user_id=user_id))

    async def get_metadata(self, user_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        rows = await self.db.scalars(select(UserMetadata).where(UserMetadata.user_id == user_id))
        return {row.key: row.value for row in rows}

    async def metadata_for(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, dict[str, Any]]]:
        """Every listed user's metadata in one query (users without any get an empty mapping)."""
        found: dict[uuid.UUID, dict[str, dict[str, Any]]] = {user_id: {} for user_id in user_ids}
        if user_ids:
            rows = await self.db.scalars(select(UserMetadata).where(UserMetadata.user_id.in_(user_ids)))
            for row in rows:
                found[row.user_id][row.key] = row.value
        return found

    async def upsert_metadata(self, user_id: uuid.UUID, key: str, value: dict[str, Any]) -> None:
        statement = insert(UserMetadata).values(user_id=user_id, key=key, value=value)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=[UserMetadata.user_id, UserMetadata.key],
                set_={"value": statement.excluded.value, "updated_at": func.now(), "update_id": uuid7()},
            )
        )

    async def delete_metadata(self, user_id: uuid.UUID, key: str) -> None:
        row = await self.db.get(UserMetadata, (user_id, key))
        if row is not None:
            await self.db.delete(row)
            self.db.add(UserMetadataAudit(user_id=user_id, key=key))
            await self.db.flush()
