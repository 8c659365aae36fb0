"""Person, face and OCR rows. Callers have already checked access; queries still scope by owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, and_, cast, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.kit.db import among
from albumen.models import Asset, AssetFace, AssetOcr, FaceSearch, Person, UserMetadata

# Immich's default for the "people.minimumFaces" preference: an unnamed person shows up once
# this many of their faces are on the timeline.
DEFAULT_MINIMUM_FACES = 3


@dataclass(frozen=True, slots=True)
class PeoplePage:
    people: Sequence[Person]
    has_next_page: bool


def _on_timeline() -> Any:
    return and_(Asset.id == AssetFace.asset_id, Asset.visibility == "timeline", Asset.deleted_at.is_(None))


def _visible_face() -> Any:
    return and_(AssetFace.deleted_at.is_(None), AssetFace.is_visible.is_(True))


class PersonRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, person_id: uuid.UUID) -> Person | None:
        return await self.db.get(Person, person_id, populate_existing=True)

    async def page_for_user(
        self,
        user_id: uuid.UUID,
        *,
        with_hidden: bool,
        skip: int,
        take: int,
        closest_face_id: uuid.UUID | None,
    ) -> PeoplePage:
        """People with a visible face on the owner's timeline: named ones, and unnamed ones with
        at least the owner's minimum number of faces. Hidden last, favourites first."""
        minimum_faces = (
            select(cast(UserMetadata.value["people"]["minimumFaces"].astext, Integer))
            .where(UserMetadata.user_id == user_id, UserMetadata.key == "preferences")
            .scalar_subquery()
        )
        face_count = func.count(AssetFace.asset_id)
        statement = (
            select(Person)
            .join(AssetFace, AssetFace.person_id == Person.id)
            .join(Asset, _on_timeline())
            .where(Person.owner_id == user_id, _visible_face())
            .group_by(Person.id)
            .having((Person.name != "") | (face_count >= func.coalesce(minimum_faces, DEFAULT_MINIMUM_FACES)))
            .order_by(Person.is_hidden.asc(), Person.is_favorite.desc())
        )
        if not with_hidden:
            statement = statement.where(Person.is_hidden.is_(False))
        if closest_face_id is not None:
            feature = select(FaceSearch.embedding).where(FaceSearch.face_id == Person.face_asset_id)
            target = select(FaceSearch.embedding).where(FaceSearch.face_id == closest_face_id)
            distance = feature.scalar_subquery().op("<=>", return_type=Float)(target.scalar_subquery())
            statement = statement.order_by(distance.asc())
        else:
            unnamed = func.nullif(Person.name, "")
            statement = statement.order_by(
                unnamed.is_(None).asc(),
                face_count.desc(),
                unnamed.asc().nulls_last(),
                Person.created_at.asc(),
            )
        rows = (await self.db.scalars(statement.offset(skip).limit(take + 1))).all()
        return PeoplePage(people=rows[:take], has_next_page=len(rows) > take)

    async def count_for_user(self, user_id: uuid.UUID) -> tuple[int, int]:
        """(total, hidden) over people with at least one visible face on the timeline."""
        on_timeline = exists(select(Asset.id).where(_on_timeline()))
        has_face = exists(
            select(AssetFace.id).where(AssetFace.person_id == Person.id, _visible_face(), on_timeline)
        )
        row = (
            await self.db.execute(
                select(func.count(), func.count().filter(Person.is_hidden.is_(True))).where(
                    Person.owner_id == user_id, has_face
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def count_assets(self, person_id: uuid.UUID) -> int:
        statement = (
            select(func.count(func.distinct(Asset.id)))
            .select_from(AssetFace)
            .outerjoin(Asset, _on_timeline())
            .where(AssetFace.person_id == person_id, _visible_face())
        )
        return int(await self.db.scalar(statement) or 0)

    async def face_of_person_on_asset(self, person_id: uuid.UUID, asset_id: uuid.UUID) -> uuid.UUID | None:
        return await self.db.scalar(
            select(AssetFace.id)
            .join(Asset, (Asset.id == AssetFace.asset_id) & Asset.is_offline.is_(False))
            .where(AssetFace.asset_id == asset_id, AssetFace.person_id == person_id)
            .limit(1)
        )

    async def create(self, **values: Any) -> Person:
        person = Person(**values)
        self.db.add(person)
        await self.db.flush()
        await self.db.refresh(person)
        return person

    async def update(self, person_id: uuid.UUID, **values: Any) -> Person:
        if values:
            # updated_at and update_id bump through their onupdate.
            await self.db.execute(update(Person).where(Person.id == person_id).values(**values))
        person = await self.get(person_id)
        assert person is not None
        return person

    async def move_faces(self, from_person_id: uuid.UUID, to_person_id: uuid.UUID) -> None:
        await self.db.execute(
            update(AssetFace).where(AssetFace.person_id == from_person_id).values(person_id=to_person_id)
        )

    async def thumbnail_paths(self, ids: set[uuid.UUID]) -> list[str]:
        paths = await self.db.scalars(select(Person.thumbnail_path).where(among(Person.id, ids)))
        return [path for path in paths.all() if path]

    async def delete(self, ids: set[uuid.UUID]) -> None:
        await self.db.execute(delete(Person).where(among(Person.id, ids)))

    async def faces_of_asset(self, asset_id: uuid.UUID) -> Sequence[tuple[AssetFace, Person | None]]:
        statement = (
            select(AssetFace, Person)
            .outerjoin(Person, Person.id == AssetFace.person_id)
            .where(AssetFace.asset_id == asset_id, _visible_face())
            .order_by(AssetFace.bounding_box_x1.asc())
        )
        return [(face, person) for face, person in (await self.db.execute(statement)).all()]

    async def ocr_of_asset(self, asset_id: uuid.UUID) -> Sequence[AssetOcr]:
        statement = select(AssetOcr).where(AssetOcr.asset_id == asset_id, AssetOcr.is_visible.is_(True))
        return (await self.db.scalars(statement)).all()
