"""/admin/users: account administration (admin-only by the operation table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Body, Depends, Query
from pydantic import UUID4

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryBool, QueryDate
from albumen.users.admin_service import UserAdminService
from albumen.users.tasks import queue_user_delete

router = ImmichRouter()


def user_admin_service(db: DbDep, container: ContainerDep) -> UserAdminService:
    return UserAdminService(db, config_file=container.settings.config_file)


Service = Annotated[UserAdminService, Depends(user_admin_service)]


@router.operation("searchUsersAdmin")
async def search_users_admin(
    auth: Auth,
    service: Service,
    id: Annotated[UUID4 | None, Query()] = None,
    with_deleted: Annotated[QueryBool | None, Query(alias="withDeleted")] = None,
) -> list[dto.UserAdminResponseDto]:
    return await service.search(with_deleted=bool(with_deleted), user_id=id)


@router.operation("createUserAdmin")
async def create_user_admin(
    body: dto.UserAdminCreateDto, auth: Auth, service: Service
) -> dto.UserAdminResponseDto:
    return await service.create(body)


@router.operation("getUserAdmin")
async def get_user_admin(id: UUID4, auth: Auth, service: Service) -> dto.UserAdminResponseDto:
    return await service.get(id)


@router.operation("updateUserAdmin")
async def update_user_admin(
    id: UUID4, body: dto.UserAdminUpdateDto, auth: Auth, service: Service
) -> dto.UserAdminResponseDto:
    return await service.update(auth, id, body)


@router.operation("deleteUserAdmin")
async def delete_user_admin(
    id: UUID4,
    auth: Auth,
    service: Service,
    container: ContainerDep,
    background: BackgroundTasks,
    # Immich reads a missing body as {}; clients that send none still get a plain soft delete.
    body: Annotated[dto.UserAdminDeleteDto | None, Body()] = None,
) -> dto.UserAdminResponseDto:
    deleted = await service.delete(auth, id, body or dto.UserAdminDeleteDto())
    if body is not None and body.force:
        background.add_task(queue_user_delete, container, id, force=True)  # after the commit
    return deleted


@router.operation("restoreUserAdmin")
async def restore_user_admin(id: UUID4, auth: Auth, service: Service) -> dto.UserAdminResponseDto:
    return await service.restore(id)


@router.operation("getUserPreferencesAdmin")
async def get_user_preferences_admin(
    id: UUID4, auth: Auth, service: Service
) -> dto.UserPreferencesResponseDto:
    return await service.get_preferences(id)


@router.operation("updateUserPreferencesAdmin")
async def update_user_preferences_admin(
    id: UUID4, body: dto.UserPreferencesUpdateDto, auth: Auth, service: Service
) -> dto.UserPreferencesResponseDto:
    return await service.update_preferences(id, body)


@router.operation("getUserSessionsAdmin", response_model_exclude_unset=True)
async def get_user_sessions_admin(id: UUID4, auth: Auth, service: Service) -> list[dto.SessionResponseDto]:
    return await service.sessions_of(id)


@router.operation("getUserStatisticsAdmin")
async def get_user_statistics_admin(
    id: UUID4,
    auth: Auth,
    service: Service,
    visibility: Annotated[dto.AssetVisibility | None, Query()] = None,
    is_favorite: Annotated[QueryBool | None, Query(alias="isFavorite")] = None,
    is_trashed: Annotated[QueryBool | None, Query(alias="isTrashed")] = None,
) -> dto.AssetStatsResponseDto:
    return await service.statistics(id, visibility=visibility, is_favorite=is_favorite, is_trashed=is_trashed)


@router.operation("getUserCalendarHeatmapAdmin")
async def get_user_calendar_heatmap_admin(
    id: UUID4,
    auth: Auth,
    service: Service,
    start: Annotated[QueryDate | None, Query(alias="from")] = None,
    end: Annotated[QueryDate | None, Query(alias="to")] = None,
    kind: Annotated[dto.CalendarHeatmapType, Query(alias="type")] = dto.CalendarHeatmapType.Upload,
) -> dto.CalendarHeatmapResponseDto:
    return await service.calendar_heatmap(auth, id, start, end, kind)
