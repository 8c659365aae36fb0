"""/users: the caller's own account and other users' public profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import UUID4

from albumen.http.deps import Auth, ContainerDep, DbDep
from albumen.http.files import serve_object
from albumen.http.multipart import ChunkReader, read_one_file
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.kit.query import QueryDate
from albumen.users.service import UserService

router = ImmichRouter()


def user_service(db: DbDep, container: ContainerDep) -> UserService:
    settings = container.settings
    return UserService(db, profile_storage=container.storage["profile"], config_file=settings.config_file)


Service = Annotated[UserService, Depends(user_service)]


@router.operation("searchUsers")
async def search_users(auth: Auth, service: Service) -> list[dto.UserResponseDto]:
    return await service.search(auth)


# Fixed paths first, so "me" and "profile-image" are never read as an {id}.
@router.operation("getMyUser")
async def get_my_user(auth: Auth, service: Service) -> dto.UserAdminResponseDto:
    return await service.me(auth)


@router.operation("getMyCalendarHeatmap")
async def get_my_calendar_heatmap(
    auth: Auth,
    service: Service,
    start: Annotated[QueryDate | None, Query(alias="from")] = None,
    end: Annotated[QueryDate | None, Query(alias="to")] = None,
    kind: Annotated[dto.CalendarHeatmapType, Query(alias="type")] = dto.CalendarHeatmapType.Upload,
) -> dto.CalendarHeatmapResponseDto:
    return await service.calendar_heatmap(auth, start, end, kind)


@router.operation("updateMyUser")
async def update_my_user(body: dto.UserUpdateMeDto, auth: Auth, service: Service) -> dto.UserAdminResponseDto:
    return await service.update_me(auth, body)


@router.operation("getMyPreferences")
async def get_my_preferences(auth: Auth, service: Service) -> dto.UserPreferencesResponseDto:
    return await service.get_preferences(auth)


@router.operation("updateMyPreferences")
async def update_my_preferences(
    body: dto.UserPreferencesUpdateDto, auth: Auth, service: Service
) -> dto.UserPreferencesResponseDto:
    return await service.update_preferences(auth, body)


@router.operation("getUserLicense")
async def get_user_license(auth: Auth, service: Service) -> dto.LicenseResponseDto:
    return await service.get_license(auth)


@router.operation("setUserLicense")
async def set_user_license(body: dto.LicenseKeyDto, auth: Auth, service: Service) -> dto.LicenseResponseDto:
    return await service.set_license(auth, body)


@router.operation("deleteUserLicense")
async def delete_user_license(auth: Auth, service: Service) -> None:
    await service.delete_license(auth)


@router.operation("getUserOnboarding")
async def get_user_onboarding(auth: Auth, service: Service) -> dto.OnboardingResponseDto:
    return await service.get_onboarding(auth)


@router.operation("setUserOnboarding")
async def set_user_onboarding(
    body: dto.OnboardingDto, auth: Auth, service: Service
) -> dto.OnboardingResponseDto:
    return await service.set_onboarding(auth, body)


@router.operation("deleteUserOnboarding")
async def delete_user_onboarding(auth: Auth, service: Service) -> None:
    await service.delete_onboarding(auth)


@router.operation("createProfileImage")
async def create_profile_image(
    request: Request, auth: Auth, service: Service
) -> dto.CreateProfileImageResponseDto:
    async def store(filename: str, reader: ChunkReader) -> dto.CreateProfileImageResponseDto:
        return await service.create_profile_image(auth, filename, reader)

    return await read_one_file(request.stream(), request.headers.get("content-type"), "file", store)


@router.operation("deleteProfileImage")
async def delete_profile_image(auth: Auth, service: Service) -> None:
    await service.delete_profile_image(auth)


@router.operation("getUser")
async def get_user(id: UUID4, auth: Auth, service: Service) -> dto.UserResponseDto:
    return await service.get(id)


@router.operation("getProfileImage", response_class=StreamingResponse)
async def get_profile_image(
    id: UUID4, request: Request, auth: Auth, service: Service, container: ContainerDep
) -> Response:
    key, content_type = await service.profile_image(id)
    await service.db.commit()  # nothing more to read: free the connection before streaming
    # No caching, as Immich: the URL stays the same when the user changes the picture.
    return await serve_object(
        request, container.storage["profile"], key, content_type=content_type, cache_control=None,
        missing="Not Found",
    )  # fmt: skip
