"""Health for orchestrators, and Immich's API discovery document."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from albumen.http.deps import ContainerDep

router = APIRouter(tags=["Health"])
well_known = APIRouter()


@router.get("/health/live", operation_id="albumenLiveness")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready", operation_id="albumenReadiness", response_model=None)
async def readiness(container: ContainerDep) -> dict[str, str] | JSONResponse:
    if not await container.database.reachable():
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return {"status": "ok", "database": "up"}


@well_known.get("/.well-known/immich", include_in_schema=False)
async def immich_discovery() -> dict[str, dict[str, str]]:
    return {"api": {"endpoint": "/api"}}
