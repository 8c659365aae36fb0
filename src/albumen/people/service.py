"""People, their faces on assets, and OCR text: the read side plus plain row edits.

Detecting faces, clustering them into people and recognising text are machine-learning jobs
that come later; everything here works on whatever person/asset_face/asset_ocr rows exist.
Face boxes are given in the detected image's pixels; they are not yet mapped through asset edits.
"""

from __future__ import annotations

import logging
import struct
import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from albumen.access.service import AccessService
from albumen.authn.schemas import AuthContext
from albumen.immich import dto
from albumen.kit.errors import AppError, BadRequest, NotFound
from albumen.models import AssetFace, AssetOcr, Person
from albumen.people.repository import PersonRepository
from albumen.storage.base import StorageBackend

log = logging.getLogger(__name__)


def _check_birth_date(birth_date: date | None) -> None:
    if birth_date is not None and birth_date > date.today():
        raise BadRequest("Birth date cannot be in the future")


def person_dto(person: Person) -> dto.PersonResponseDto:
    return dto.PersonResponseDto(
        id=person.id,
        name=person.name,
        birthDate=person.birth_date,
        thumbnailPath=person.thumbnail_path,
        isHidden=person.is_hidden,
        isFavorite=person.is_favorite,
        updatedAt=person.updated_at,
        # Immich leaves an unset colour out; the routes exclude unset fields.
        **({"color": person.color} if person.color is not None else {}),
    )


def face_dto(face: AssetFace, person: Person | None, auth: AuthContext) -> dto.AssetFaceResponseDto:
    return dto.AssetFaceResponseDto(
        id=face.id,
        imageWidth=face.image_width,
        imageHeight=face.image_height,
        boundingBoxX1=face.bounding_box_x1,
        boundingBoxY1=face.bounding_box_y1,
        boundingBoxX2=face.bounding_box_x2,
        boundingBoxY2=face.bounding_box_y2,
        sourceType=dto.SourceType(face.source_type),
        # Someone else's person (a partner's face on a shared asset) is not named to the caller.
        person=person_dto(person) if person is not None and person.owner_id == auth.user.id else None,
    )


def _real(value: float) -> float:
    """A REAL column's value as PostgreSQL prints it (0.1, not float32's 0.10000000149011612)."""
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == value:
            return candidate
    return value


def ocr_dto(row: AssetOcr) -> dto.AssetOcrResponseDto:
    corners = {name: _real(getattr(row, name)) for name in ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")}
    return dto.AssetOcrResponseDto(
        id=row.id,
        assetId=row.asset_id,
        boxScore=_real(row.box_score),
        textScore=_real(row.text_score),
        text=row.text,
        **corners,
    )


class PersonService:
    def __init__(self, db: AsyncSession, thumbnails: StorageBackend) -> None:
        self.db = db
        self.people = PersonRepository(db)
        self.access = AccessService(db)
        self.thumbnails = thumbnails

    async def search(
        self,
        auth: AuthContext,
        *,
        with_hidden: bool,
        page: int,
        size: int,
        closest_person_id: uuid.UUID | None,
        closest_asset_id: uuid.UUID | None,
    ) -> dto.PeopleResponseDto:
        # Immich's "closestAssetId" names a face id (the one a person's feature face points at).
        closest_face_id = closest_asset_id
        if closest_person_id is not None:
            closest = await self.people.get(closest_person_id)
            if closest is None or closest.owner_id != auth.user.id or closest.face_asset_id is None:
                raise NotFound("Person not found")
            closest_face_id = closest.face_asset_id
        found = await self.people.page_for_user(
            auth.user.id,
            with_hidden=with_hidden,
            skip=(page - 1) * size,
            take=size,
            closest_face_id=closest_face_id,
        )
        total, hidden = await self.people.count_for_user(auth.user.id)
        return dto.PeopleResponseDto(
            people=[person_dto(person) for person in found.people],
            hasNextPage=found.has_next_page,
            total=total,
            hidden=hidden,
        )

    async def get(self, auth: AuthContext, person_id: uuid.UUID) -> dto.PersonResponseDto:
        await self.access.require(auth, dto.Permission.person_read, [person_id])
        return person_dto(await self._existing(person_id))

    async def statistics(self, auth: AuthContext, person_id: uuid.UUID) -> dto.PersonStatisticsResponseDto:
        await self.access.require(auth, dto.Permission.person_read, [person_id])
        return dto.PersonStatisticsResponseDto(assets=await self.people.count_assets(person_id))

    async def thumbnail_key(self, auth: AuthContext, person_id: uuid.UUID) -> str:
        await self.access.require(auth, dto.Permission.person_read, [person_id])
        person = await self._existing(person_id)
        if not person.thumbnail_path:
            raise NotFound("Not Found")
        return person.thumbnail_path

    async def create(self, auth: AuthContext, body: dto.PersonCreateDto) -> dto.PersonResponseDto:
        _check_birth_date(body.birthDate)
        person = await self.people.create(
            owner_id=auth.user.id,
            name=body.name or "",
            birth_date=body.birthDate,
            is_hidden=bool(body.isHidden),
            is_favorite=bool(body.isFavorite),
            color=body.color,
        )
        return person_dto(person)

    async def update(
        self, auth: AuthContext, person_id: uuid.UUID, body: dto.PersonUpdateDto
    ) -> dto.PersonResponseDto:
        await self.access.require(auth, dto.Permission.person_update, [person_id])
        _check_birth_date(body.birthDate)
        changes: dict[str, object] = {}
        if body.featureFaceAssetId is not None:
            await self.access.require(auth, dto.Permission.asset_read, [body.featureFaceAssetId])
            face_id = await self.people.face_of_person_on_asset(person_id, body.featureFaceAssetId)
            if face_id is None:
                raise BadRequest("Invalid assetId for feature face or asset is offline")
            # The cropped face thumbnail is drawn by the (later) person-thumbnail job.
            changes["face_asset_id"] = face_id
        sent = body.model_fields_set
        if body.name is not None:
            changes["name"] = body.name
        if "birthDate" in sent:
            changes["birth_date"] = body.birthDate
        if body.isHidden is not None:
            changes["is_hidden"] = body.isHidden
        if body.isFavorite is not None:
            changes["is_favorite"] = body.isFavorite
        if "color" in sent:  # null clears the colour
            changes["color"] = body.color
        return person_dto(await self.people.update(person_id, **changes))

    async def update_all(self, auth: AuthContext, body: dto.PeopleUpdateDto) -> list[dto.BulkIdResponseDto]:
        results: list[dto.BulkIdResponseDto] = []
        for item in body.people:
            fields = item.model_dump(exclude_unset=True, exclude={"id"})
            try:
                async with self.db.begin_nested():  # one failed item leaves the others' changes intact
                    await self.update(auth, item.id, dto.PersonUpdateDto(**fields))
                results.append(dto.BulkIdResponseDto(id=item.id, success=True))
            except AppError as error:
                log.info("person %s not updated: %s", item.id, error.message)
                results.append(
                    dto.BulkIdResponseDto(id=item.id, success=False, error=dto.BulkIdErrorReason.unknown)
                )
        return results

    async def merge(
        self, auth: AuthContext, person_id: uuid.UUID, body: dto.MergePersonDto
    ) -> list[dto.BulkIdResponseDto]:
        """Moves every face of the merged people onto this one and deletes them; a missing name or
        birth date is taken from the first merged person that has one."""
        merge_ids = [item.root for item in body.ids]
        if person_id in merge_ids:
            raise BadRequest("Cannot merge a person into themselves")
        await self.access.require(auth, dto.Permission.person_update, [person_id])
        primary = await self._existing(person_id)
        allowed = await self.access.allowed(auth, dto.Permission.person_merge, merge_ids)
        results: list[dto.BulkIdResponseDto] = []
        for merge_id in merge_ids:
            merged = await self.people.get(merge_id) if merge_id in allowed else None
            if merged is None:
                reason = (
                    dto.BulkIdErrorReason.not_found
                    if merge_id in allowed
                    else dto.BulkIdErrorReason.no_permission
                )
                results.append(dto.BulkIdResponseDto(id=merge_id, success=False, error=reason))
                continue
            inherited: dict[str, object] = {}
            if not primary.name and merged.name:
                inherited["name"] = merged.name
            if primary.birth_date is None and merged.birth_date is not None:
                inherited["birth_date"] = merged.birth_date
            if inherited:
                primary = await self.people.update(person_id, **inherited)
            await self.people.move_faces(merge_id, person_id)
            await self._remove({merge_id})
            results.append(dto.BulkIdResponseDto(id=merge_id, success=True))
        return results

    async def delete(self, auth: AuthContext, ids: set[uuid.UUID]) -> None:
        await self.access.require(auth, dto.Permission.person_delete, ids)
        await self._remove(ids)

    async def _remove(self, ids: set[uuid.UUID]) -> None:
        for path in await self.people.thumbnail_paths(ids):
            await self.thumbnails.delete(path)
        # Their faces stay, unassigned (asset_face.person_id is SET NULL), as in Immich.
        await self.people.delete(ids)

    async def faces(self, auth: AuthContext, asset_id: uuid.UUID) -> list[dto.AssetFaceResponseDto]:
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        return [face_dto(face, person, auth) for face, person in await self.people.faces_of_asset(asset_id)]

    async def ocr(self, auth: AuthContext, asset_id: uuid.UUID) -> list[dto.AssetOcrResponseDto]:
        await self.access.require(auth, dto.Permission.asset_read, [asset_id])
        return [ocr_dto(row) for row in await self.people.ocr_of_asset(asset_id)]

    async def _existing(self, person_id: uuid.UUID) -> Person:
        person = await self.people.get(person_id)
        if person is None:
            raise BadRequest("Person not found")
        return person
