"""/activities."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response, status
from pydantic import UUID4

from albumen.activities.service import ActivityService
from albumen.http.deps import Auth, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto

router = ImmichRouter()


def activity_service(db: DbDep) -> ActivityService:
    return ActivityService(db)


Service = Annotated[ActivityService, Depends(activity_service)]


@router.operation("getActivities")
async def get_activities(
    auth: Auth,
    service: Service,
    album_id: Annotated[UUID4, Query(alias="albumId")],
    asset_id: Annotated[UUID4 | None, Query(alias="assetId")] = None,
    type: dto.ReactionType | None = None,
    level: dto.ReactionLevel | None = None,
    user_id: Annotated[UUID4 | None, Query(alias="userId")] = None,
) -> list[dto.ActivityResponseDto]:
    return await service.search(auth, album_id, asset_id=asset_id, kind=type, level=level, user_id=user_id)


@router.operation("createActivity")
async def create_activity(
    body: dto.ActivityCreateDto, auth: Auth, service: Service, response: Response
) -> dto.ActivityResponseDto:
    activity, existed = await service.create(auth, body)
    if existed:
        response.status_code = status.HTTP_200_OK
    return activity


# Before /activities/{id}, so "statistics" is never read as an id.
@router.operation("getActivityStatistics")
async def get_activity_statistics(
    auth: Auth,
    service: Service,
    album_id: Annotated[UUID4, Query(alias="albumId")],
    asset_id: Annotated[UUID4 | None, Query(alias="assetId")] = None,
) -> dto.ActivityStatisticsResponseDto:
    return await service.statistics(auth, album_id, asset_id)


@router.operation("deleteActivity")
async def delete_activity(id: UUID4, auth: Auth, service: Service) -> None:
    await service.delete(auth, id)
