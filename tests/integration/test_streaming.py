"""HLS streaming (/assets/{id}/video/stream/...): answered as Immich v3.1.0 answers with real-time
transcoding off, the only state Albumen allows (switching it on is refused)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.assets import upload_id
from tests.support.users import create_user, sign_up_admin

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


async def test_streaming_answers_as_immich_with_real_time_transcoding_off(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    video = await upload_id(client, admin, "clip.mp4", VIDEO)
    session = uuid.uuid4()
    base = f"/assets/{video}/video/stream"

    response = await client.get(f"{base}/main.m3u8", headers=admin.headers)
    assert (response.status_code, response.json()["message"]) == (400, "Real-time transcoding is not enabled")
    response = await client.get(f"{base}/{session}/0/playlist.m3u8", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "Asset not found or metadata not yet ready for streaming"
    for name in ("init.mp4", "seg_12.m4s"):
        response = await client.get(f"{base}/{session}/0/{name}", headers=admin.headers)
        assert (response.status_code, response.json()["message"]) == (404, "Session not found")
    assert (await client.delete(f"{base}/{session}", headers=admin.headers)).status_code == 204

    # another user's video: access is checked first, as in Immich
    requests = [("GET", f"{base}/main.m3u8"), ("GET", f"{base}/{session}/0/playlist.m3u8"),
                ("GET", f"{base}/{session}/0/init.mp4"), ("DELETE", f"{base}/{session}")]  # fmt: skip
    for method, path in requests:
        response = await client.request(method, path, headers=bob.headers)
        assert (response.status_code, response.json()["message"]) == (
            400,
            "Not found or no asset.view access",
        )
    assert (await client.get(f"{base}/main.m3u8")).status_code == 401


async def test_bad_stream_paths_are_400(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    video = await upload_id(client, admin, "clip.mp4", VIDEO)
    base = f"/assets/{video}/video/stream"
    session = uuid.uuid4()
    for path, field, message in (
        (f"{base}/{session}/0/../../etc.m4s", None, None),
        (f"{base}/{session}/0/seg_x.m4s", "filename", "Invalid HLS segment filename"),
        (f"{base}/{session}/-1/playlist.m3u8", "variantIndex", "Too small: expected number to be >=0"),
        (f"{base}/not-a-session/0/playlist.m3u8", "sessionId", "Invalid UUID"),
    ):
        response = await client.get(path, headers=admin.headers)
        assert response.status_code in (400, 404), path
        if field:
            assert response.status_code == 400
            issue = response.json()["errors"][0]
            assert (issue["path"], issue["message"]) == ([field], message)


async def test_real_time_transcoding_cannot_be_switched_on(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["ffmpeg"]["realtime"]["enabled"] = True

    response = await client.put("/system-config", headers=admin.headers, json=config)

    assert response.status_code == 400
    assert "ffmpeg.realtime.enabled" in response.json()["message"]
    after = (await client.get("/system-config", headers=admin.headers)).json()
    assert after["ffmpeg"]["realtime"]["enabled"] is False
