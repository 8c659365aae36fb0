"""/server: ping, version, features, config (the rest of the server info lands with the system capability)."""

from __future__ import annotations

from albumen.http.deps import DbDep
from albumen.http.routing import ImmichRouter
from albumen.immich import dto
from albumen.immich.spec import IMMICH_VERSION

router = ImmichRouter()


@router.operation("pingServer")
async def ping_server() -> dto.ServerPingResponse:
    return dto.ServerPingResponse(res="pong")


@router.operation("getServerVersion")
async def get_server_version() -> dto.ServerVersionResponseDto:
    major, minor, patch = (int(part) for part in IMMICH_VERSION.split("."))
    return dto.ServerVersionResponseDto(major=major, minor=minor, patch=patch, prerelease=None)
