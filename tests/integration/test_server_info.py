"""Server information endpoints (CONTRACT.md §9) and the asset statistics the CLI reads."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from albumen.immich import dto
from albumen.models import Asset, AssetExif
from tests.support.licenses import LicenseServer
from tests.support.users import create_api_key, create_user, sign_up_admin

MOMENT = datetime(2024, 1, 1, tzinfo=UTC)


async def test_public_endpoints_answer_without_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/server/ping")).json() == {"res": "pong"}
    assert (await client.get("/server/version")).json() == {
        "major": 3,
        "minor": 1,
        "patch": 0,
        "prerelease": None,
    }
    features = dto.ServerFeaturesDto.model_validate((await client.get("/server/features")).json())
    assert features.passwordLogin
    assert features.trash
    assert features.sidecar
    assert not features.smartSearch  # no machine learning in this build
    assert not features.oauth
    media = (await client.get("/server/media-types")).json()
    assert ".jpg" in media["image"]
    assert ".heic" in media["image"]
    assert ".mp4" in media["video"]
    assert media["sidecar"] == [".xmp"]
    history = (await client.get("/server/version-history")).json()
    assert [entry["version"] for entry in history] == ["3.1.0"]


async def test_server_config_reports_initialisation_and_onboarding(client: httpx.AsyncClient) -> None:
    before = (await client.get("/server/config")).json()
    assert before["isInitialized"] is False
    assert before["isOnboarded"] is False
    assert before["trashDays"] == 30
    assert before["userDeleteDelay"] == 7
    assert before["maintenanceMode"] is False
    admin = await sign_up_admin(client)
    assert (await client.get("/server/config")).json()["isInitialized"] is True
    assert (await client.get("/system-metadata/admin-onboarding", headers=admin.headers)).json() == {
        "isOnboarded": False
    }
    done = await client.post(
        "/system-metadata/admin-onboarding", headers=admin.headers, json={"isOnboarded": True}
    )
    assert done.status_code == 204
    assert (await client.get("/server/config")).json()["isOnboarded"] is True


async def test_about_storage_and_apk_links_need_a_user(client: httpx.AsyncClient) -> None:
    assert (await client.get("/server/about")).status_code == 401
    admin = await sign_up_admin(client)
    about = (await client.get("/server/about", headers=admin.headers)).json()
    assert about["version"] == "v3.1.0"
    assert about["licensed"] is False
    storage = dto.ServerStorageResponseDto.model_validate(
        (await client.get("/server/storage", headers=admin.headers)).json()
    )
    assert storage.diskSizeRaw >= storage.diskUseRaw > 0
    assert 0 < storage.diskUsagePercentage <= 100
    links = (await client.get("/server/apk-links", headers=admin.headers)).json()
    assert links["universal"].endswith(".apk")


async def test_statistics_are_admin_only_and_count_per_user(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    await _insert_assets(app, admin.user_id, images=2, videos=1, size=100)
    await _insert_assets(app, bob.user_id, images=1, videos=0, size=7)
    assert (await client.get("/server/statistics", headers=bob.headers)).status_code == 403
    stats = (await client.get("/server/statistics", headers=admin.headers)).json()
    assert stats["photos"] == 3
    assert stats["videos"] == 1
    assert stats["usage"] == 3 * 100 + 7
    assert stats["usageVideos"] == 100
    by_user = {row["userId"]: row for row in stats["usageByUser"]}
    assert by_user[bob.user_id]["photos"] == 1
    assert by_user[bob.user_id]["usage"] == 7
    assert by_user[admin.user_id]["videos"] == 1


async def test_asset_statistics_count_only_the_callers_assets(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    await _insert_assets(app, admin.user_id, images=3, videos=2, size=1)
    await _insert_assets(app, bob.user_id, images=1, videos=0, size=1, favorite=True)
    assert (await client.get("/assets/statistics", headers=admin.headers)).json() == {
        "images": 3,
        "videos": 2,
        "total": 5,
    }
    assert (await client.get("/assets/statistics", headers=bob.headers)).json() == {
        "images": 1,
        "videos": 0,
        "total": 1,
    }
    favorites = await client.get("/assets/statistics", headers=admin.headers, params={"isFavorite": "true"})
    assert favorites.json()["total"] == 0
    key = await create_api_key(client, bob, ["asset.statistics"])
    assert (await client.get("/assets/statistics", headers={"x-api-key": key})).json()["total"] == 1


async def test_license_lifecycle_is_admin_only(
    client: httpx.AsyncClient, license_server: LicenseServer
) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    missing = await client.get("/server/license", headers=admin.headers)
    assert missing.status_code == 404
    assert missing.json() == {"message": "License not found"}
    key = "IMSV-" + "-".join(["ABCD"] * 8)
    license = {"licenseKey": key, "activationKey": license_server.sign(key)}
    assert (await client.put("/server/license", headers=bob.headers, json=license)).status_code == 403
    saved = await client.put("/server/license", headers=admin.headers, json=license)
    assert saved.status_code == 200
    assert saved.json()["licenseKey"] == key
    assert (await client.get("/server/about", headers=admin.headers)).json()["licensed"] is True
    assert (await client.delete("/server/license", headers=admin.headers)).status_code == 204
    assert (await client.get("/server/license", headers=admin.headers)).status_code == 404


async def test_narrow_key_reaches_about_but_not_admin_routes(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    key = await create_api_key(client, admin, ["server.about"])
    assert (await client.get("/server/about", headers={"x-api-key": key})).status_code == 200
    refused = await client.get("/server/statistics", headers={"x-api-key": key})
    assert refused.status_code == 403
    assert refused.json() == {"message": "Missing required permission: server.statistics"}
    assert (await client.get("/system-config", headers={"x-api-key": key})).status_code == 403


async def _insert_assets(
    app: Any, owner: str, *, images: int, videos: int, size: int, favorite: bool = False
) -> None:
    async with app.state.container.database.unit_of_work() as session:
        for kind, count in (("IMAGE", images), ("VIDEO", videos)):
            for _ in range(count):
                asset_id = uuid.uuid4()
                await session.execute(
                    insert(Asset).values(
                        id=asset_id,
                        owner_id=uuid.UUID(owner),
                        type=kind,
                        checksum=uuid.uuid4().bytes,
                        original_path=f"/upload/{asset_id}",
                        original_file_name=f"{asset_id}.bin",
                        file_created_at=MOMENT,
                        file_modified_at=MOMENT,
                        local_date_time=MOMENT,
                        is_favorite=favorite,
                    )
                )
                await session.execute(insert(AssetExif).values(asset_id=asset_id, file_size_in_byte=size))


@pytest.mark.parametrize(
    "signed_as",
    ["nobody", "client"],  # unsigned; or signed, but by the key for client licenses
)
async def test_server_license_needs_the_license_servers_server_signature(
    client: httpx.AsyncClient, license_server: LicenseServer, signed_as: str
) -> None:
    admin = await sign_up_admin(client)
    key = "IMSV-" + "-".join(["WXYZ"] * 8)
    activation = (
        license_server.sign(key, as_server=False) if signed_as == "client" else "bm90IGEgc2lnbmF0dXJl"
    )
    refused = await client.put(
        "/server/license", headers=admin.headers, json={"licenseKey": key, "activationKey": activation}
    )
    assert refused.status_code == 400
    assert refused.json() == {"message": "Invalid license key"}
    about = (await client.get("/server/about", headers=admin.headers)).json()
    assert about["licensed"] is False


async def test_a_client_license_is_no_server_license(
    client: httpx.AsyncClient, license_server: LicenseServer
) -> None:
    admin = await sign_up_admin(client)
    key = "IMCL-" + "-".join(["WXYZ"] * 8)
    refused = await client.put(
        "/server/license",
        headers=admin.headers,
        json={"licenseKey": key, "activationKey": license_server.sign(key)},
    )
    assert refused.status_code == 400


async def test_about_reports_the_tools_and_the_build_the_environment_names(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMMICH_BUILD", "4242")
    monkeypatch.setenv("IMMICH_SOURCE_COMMIT", "abc123")
    monkeypatch.delenv("IMMICH_SOURCE_REF", raising=False)
    monkeypatch.delenv("IMMICH_THIRD_PARTY_SUPPORT_URL", raising=False)
    admin = await sign_up_admin(client)
    about = (await client.get("/server/about", headers=admin.headers)).json()
    assert about["build"] == "4242"
    assert about["sourceCommit"] == "abc123"
    # what nobody set is absent rather than null; Node.js and ImageMagick are not part of this server
    for absent in ("sourceRef", "thirdPartySupportUrl", "nodejs", "imagemagick"):
        assert absent not in about
    assert about["repository"] == "albumen-photos/albumen"
    exiftool = subprocess.run(["exiftool", "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    assert about["exiftool"] == exiftool
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout
    assert ffmpeg.startswith(f"ffmpeg version {about['ffmpeg']} ")
    assert about["libvips"].startswith("8.")
    assert about["libvips"].count(".") == 2


async def test_reverse_geocoding_state_names_the_shipped_geodata(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    response = await client.get("/system-metadata/reverse-geocoding-state", headers=admin.headers)
    assert response.status_code == 200
    state = response.json()
    assert state["lastImportFileName"] == "cities1000.txt"
    assert datetime.fromisoformat(state["lastUpdate"]) <= datetime.now(UTC)
