"""/server, /system-config and /system-metadata, plus Immich's /custom.css outside the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from albumen.http.deps import ContainerDep, DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.immich.spec import IMMICH_VERSION
from albumen.kit.startup import storage_url
from albumen.storage.local import LocalStorage
from albumen.system.service import SystemService

router = ImmichRouter()
public_router = APIRouter()
APK_BASE = "https://github.com/immich-app/immich/releases/download/v" + IMMICH_VERSION


def system_service(db: DbDep, container: ContainerDep) -> SystemService:
    settings = container.settings
    # /server/storage reports the disk the originals live on when that is a folder.
    originals = container.storage.get("originals")
    disk = originals.root if isinstance(originals, LocalStorage) else settings.media_dir
    return SystemService(
        db, media_dir=disk, config_file=settings.config_file, allow_setup=settings.allow_setup
    )


Service = Annotated[SystemService, Depends(system_service)]


@router.operation("pingServer")
async def ping_server() -> dto.ServerPingResponse:
    return dto.ServerPingResponse(res="pong")


@router.operation("getServerVersion")
async def get_server_version() -> dto.ServerVersionResponseDto:
    major, minor, patch = (int(part) for part in IMMICH_VERSION.split("."))
    return dto.ServerVersionResponseDto(major=major, minor=minor, patch=patch, prerelease=None)


@router.operation("getVersionHistory")
async def get_version_history(service: Service) -> list[dto.ServerVersionHistoryResponseDto]:
    return await service.version_history()


@router.operation("getServerFeatures")
async def get_server_features(service: Service) -> dto.ServerFeaturesDto:
    return await service.features()


@router.operation("getServerConfig")
async def get_server_config(service: Service) -> dto.ServerConfigDto:
    return await service.server_config()


@router.operation("getSupportedMediaTypes")
async def get_supported_media_types() -> dto.ServerMediaTypesResponseDto:
    return SystemService.media_types()


@router.operation("getAboutInfo", response_model_exclude_none=True)
async def get_about_info(service: Service) -> dto.ServerAboutResponseDto:
    return await service.about()


@router.operation("getStorage")
async def get_storage(service: Service) -> dto.ServerStorageResponseDto:
    return service.storage()


@router.get("/storage/locations", operation_id="albumenStorageLocations", tags=["Server"])
async def get_storage_locations(service: Service, container: ContainerDep) -> list[dict[str, Any]]:
    """Albumen's admin view of where each kind of file lives and how full it is."""
    urls = {kind: storage_url(container.settings, kind) for kind in container.storage}
    return await service.storage_locations(urls, container.storage)


@router.operation("getServerStatistics")
async def get_server_statistics(service: Service) -> dto.ServerStatsResponseDto:
    return await service.statistics()


@router.operation("getApkLinks")
async def get_apk_links() -> dto.ServerApkLinksDto:
    return dto.ServerApkLinksDto(
        arm64v8a=f"{APK_BASE}/app-arm64-v8a-release.apk",
        armeabiv7a=f"{APK_BASE}/app-armeabi-v7a-release.apk",
        universal=f"{APK_BASE}/app-release.apk",
        x86_64=f"{APK_BASE}/app-x86_64-release.apk",
    )


@router.operation("getVersionCheck")
async def get_version_check(service: Service) -> dto.VersionCheckStateResponseDto:
    return await service.version_check()


@router.operation("getServerLicense")
async def get_server_license(service: Service) -> dto.LicenseResponseDto:
    return await service.license()


@router.operation("setServerLicense")
async def set_server_license(body: dto.LicenseKeyDto, service: Service) -> dto.LicenseResponseDto:
    return await service.set_license(body)


@router.operation("deleteServerLicense")
async def delete_server_license(service: Service) -> None:
    await service.delete_license()


@router.operation("getConfig")
async def get_config(service: Service) -> dto.SystemConfigDto:
    return await service.system_config()


@router.operation("updateConfig")
async def update_config(body: dto.SystemConfigDto, service: Service) -> dto.SystemConfigDto:
    return await service.update_system_config(body)


@router.operation("getConfigDefaults")
async def get_config_defaults() -> dto.SystemConfigDto:
    return SystemService.system_config_defaults()


@router.operation("getStorageTemplateOptions")
async def get_storage_template_options() -> dto.SystemConfigTemplateStorageOptionDto:
    return SystemService.storage_template_options()


@router.operation("getAdminOnboarding")
async def get_admin_onboarding(service: Service) -> dto.AdminOnboardingUpdateDto:
    return await service.admin_onboarding()


@router.operation("updateAdminOnboarding")
async def update_admin_onboarding(body: dto.AdminOnboardingUpdateDto, service: Service) -> None:
    await service.set_admin_onboarding(body)


@router.operation("getReverseGeocodingState")
async def get_reverse_geocoding_state(service: Service) -> dto.ReverseGeocodingStateResponseDto:
    return await service.reverse_geocoding_state()


@router.operation("getVersionCheckState")
async def get_version_check_state(service: Service) -> dto.VersionCheckStateResponseDto:
    return await service.version_check()


@public_router.get("/custom.css", include_in_schema=False)
async def custom_css(service: Service) -> Response:
    css = (await service.config())["theme"]["customCss"]
    return Response(css, media_type="text/css")
