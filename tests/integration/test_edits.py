"""Non-destructive edits: GET/PUT/DELETE /assets/{id}/edits on a real photo, the edited renditions the
editor job renders (served with ?edited=true), and the audit rows removed edits leave for sync."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]
from sqlalchemy import func, select

from albumen.models import Asset, AssetEditAudit, AssetFile
from tests.conftest import ASSETS_DIR
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

PHOTO = ASSETS_DIR / "albums/nature/prairie_falcon.jpg"  # 800 x 533, upright
CROP = {"action": "crop", "parameters": {"x": 100, "y": 50, "width": 600, "height": 400}}
ROTATE = {"action": "rotate", "parameters": {"angle": 90}}


async def _photo(client: httpx.AsyncClient, app: Any, who: LoggedIn) -> str:
    asset_id = await upload_id(client, who, PHOTO.name, PHOTO.read_bytes())
    await settle(app)
    return asset_id


async def _image(client: httpx.AsyncClient, who: LoggedIn, asset_id: str, size: str, edited: bool) -> Any:
    response = await client.get(
        f"/assets/{asset_id}/thumbnail",
        headers=who.headers,
        params={"size": size, "edited": str(edited).lower()},
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    return pyvips.Image.new_from_buffer(response.content, "")


async def _edited_files(app: Any, asset_id: str) -> dict[str, str]:
    async with app.state.container.database.unit_of_work() as db:
        rows = await db.execute(
            select(AssetFile.type, AssetFile.path).where(
                AssetFile.asset_id == uuid.UUID(asset_id), AssetFile.is_edited.is_(True)
            )
        )
        return dict(rows.tuples().all())


async def _audits(app: Any, asset_id: str) -> int:
    async with app.state.container.database.unit_of_work() as db:
        count = await db.scalar(select(func.count()).where(AssetEditAudit.asset_id == uuid.UUID(asset_id)))
        return int(count or 0)


async def test_crop_and_rotate_render_edited_images_and_removing_them_restores_the_original(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    asset_id = await _photo(client, app, admin)
    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    original_thumbhash = info["thumbhash"]
    assert (info["width"], info["height"], info["isEdited"]) == (800, 533, False)
    response = await client.get(f"/assets/{asset_id}/edits", headers=admin.headers)
    assert response.json() == {"assetId": asset_id, "edits": []}

    response = await client.put(
        f"/assets/{asset_id}/edits", headers=admin.headers, json={"edits": [CROP, ROTATE]}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["assetId"] == asset_id
    assert [(e["action"], e["parameters"]) for e in body["edits"]] == [
        ("crop", CROP["parameters"]),
        ("rotate", {"angle": 90}),
    ]
    assert all(uuid.UUID(e["id"]).version == 4 for e in body["edits"])
    assert (await client.get(f"/assets/{asset_id}/edits", headers=admin.headers)).json() == body
    assert (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()["isEdited"] is True
    await settle(app)

    # 600 x 400 cut out, then turned a quarter clockwise: 400 x 600
    thumbnail = await _image(client, admin, asset_id, "thumbnail", edited=True)
    assert (thumbnail.width, thumbnail.height) == (250, 375)
    unedited = await _image(client, admin, asset_id, "thumbnail", edited=False)
    assert (unedited.width, unedited.height) == (375, 250)
    fullsize = await _image(client, admin, asset_id, "fullsize", edited=True)
    assert (fullsize.width, fullsize.height) == (400, 600)
    expected = pyvips.Image.new_from_file(str(PHOTO)).crop(100, 50, 600, 400).rot("d90")
    wrong_way = pyvips.Image.new_from_file(str(PHOTO)).crop(100, 50, 600, 400).rot("d270")
    difference = (fullsize.cast("float") - expected.cast("float")).abs().avg()
    assert difference < 6, difference  # the same pixels, give or take JPEG
    assert (fullsize.cast("float") - wrong_way.cast("float")).abs().avg() > 4 * difference
    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert (info["width"], info["height"]) == (400, 600)
    assert info["thumbhash"] != original_thumbhash
    files = await _edited_files(app, asset_id)
    assert set(files) == {"thumbnail", "preview", "fullsize"}
    thumbnails = app.state.container.storage["thumbnails"]
    assert all([await thumbnails.exists(key) for key in files.values()])
    # regenerating the thumbnails renders the edits again: the asset keeps its edited size and thumbhash
    edited_thumbhash = info["thumbhash"]
    response = await client.post(
        "/assets/jobs", headers=admin.headers, json={"assetIds": [asset_id], "name": "regenerate-thumbnail"}
    )
    assert response.status_code == 204, response.text
    await settle(app)
    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert (info["width"], info["height"], info["thumbhash"]) == (400, 600, edited_thumbhash)
    # the edited original download is the edited full-size image
    response = await client.get(f"/assets/{asset_id}/original?edited=true", headers=admin.headers)
    assert pyvips.Image.new_from_buffer(response.content, "").width == 400

    # replacing the edits: the old ones leave audit rows; a mirror alone keeps the original size
    mirror = {"action": "mirror", "parameters": {"axis": "horizontal"}}
    response = await client.put(f"/assets/{asset_id}/edits", headers=admin.headers, json={"edits": [mirror]})
    assert response.status_code == 200
    assert await _audits(app, asset_id) == 2
    await settle(app)
    fullsize = await _image(client, admin, asset_id, "fullsize", edited=True)
    assert (fullsize.width, fullsize.height) == (800, 533)
    flipped = pyvips.Image.new_from_file(str(PHOTO)).fliphor()
    assert (fullsize.cast("float") - flipped.cast("float")).abs().avg() < 6

    response = await client.delete(f"/assets/{asset_id}/edits", headers=admin.headers)

    assert response.status_code == 204
    assert await _audits(app, asset_id) == 3
    await settle(app)
    info = (await client.get(f"/assets/{asset_id}", headers=admin.headers)).json()
    assert (info["width"], info["height"], info["isEdited"]) == (800, 533, False)
    assert info["thumbhash"] == original_thumbhash
    assert await _edited_files(app, asset_id) == {}
    assert not any([await thumbnails.exists(key) for key in files.values()])
    thumbnail = await _image(client, admin, asset_id, "thumbnail", edited=True)  # falls back to unedited
    assert (thumbnail.width, thumbnail.height) == (375, 250)
    assert (await client.get(f"/assets/{asset_id}/edits", headers=admin.headers)).json()["edits"] == []


@pytest.mark.parametrize(
    ("edits", "status", "message"),
    [
        ([], 400, "Validation failed"),
        ([ROTATE, CROP], 400, "Crop action must be the first edit action"),
        ([{"action": "crop", "parameters": {"x": 300, "y": 0, "width": 501, "height": 100}}], 400,
         "Crop parameters are out of bounds"),
        ([{"action": "crop", "parameters": {"x": 0, "y": 0, "width": 800, "height": 534}}], 400,
         "Crop parameters are out of bounds"),
        ([ROTATE, ROTATE], 400, "Validation failed"),
        ([{"action": "rotate", "parameters": {"angle": 45}}], 400, "Validation failed"),
        ([{"action": "crop", "parameters": {"angle": 90}}], 400, "Validation failed"),
        ([{"action": "crop", "parameters": {"x": -1, "y": 0, "width": 1, "height": 1}}], 400,
         "Validation failed"),
        ([{"action": "spin", "parameters": {}}], 400, "Validation failed"),
        ([{"action": "crop", "parameters": {"x": 0, "y": 0, "width": 800, "height": 533}}], 200, None),
        ([{"action": "mirror", "parameters": {"axis": "horizontal"}},
          {"action": "mirror", "parameters": {"axis": "vertical"}}], 200, None),
    ],
)  # fmt: skip
async def test_edits_are_checked_as_immich_checks_them(
    client: httpx.AsyncClient, app: Any, edits: list[dict[str, Any]], status: int, message: str | None
) -> None:
    admin = await sign_up_admin(client)
    asset_id = await _photo(client, app, admin)
    response = await client.put(f"/assets/{asset_id}/edits", headers=admin.headers, json={"edits": edits})
    assert response.status_code == status, response.text
    if message:
        assert response.json()["message"] == message
    if status == 400:
        assert (await client.get(f"/assets/{asset_id}/edits", headers=admin.headers)).json()["edits"] == []


async def test_validation_messages(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await _photo(client, app, admin)

    async def errors(edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = await client.put(f"/assets/{asset_id}/edits", headers=admin.headers, json={"edits": edits})
        assert response.status_code == 400
        result: list[dict[str, Any]] = response.json()["errors"]
        return result

    assert (await errors([ROTATE, ROTATE]))[0] == {
        "code": "custom", "path": ["edits"], "message": "Duplicate edit actions are not allowed",
    }  # fmt: skip
    assert (await errors([{"action": "crop", "parameters": {"angle": 90}}]))[0] == {
        "code": "custom",
        "path": ["edits", 0, "parameters"],
        "message": "Invalid parameters for action 'crop', expecting keys: x, y, width, height",
    }
    assert (await errors([ROTATE, {"action": "mirror", "parameters": {"axis": "diagonal"}}]))[0] == {
        "code": "custom",
        "path": ["edits", 1, "parameters"],
        "message": "Invalid parameters for action, expected keys by action: "
        "crop: [x, y, width, height]; rotate: [angle]; mirror: [axis]",
    }


async def test_only_the_owner_edits_and_only_images(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    asset_id = await _photo(client, app, admin)

    response = await client.put(f"/assets/{asset_id}/edits", headers=bob.headers, json={"edits": [ROTATE]})
    assert response.status_code == 400
    assert response.json()["message"] == "Not found or no asset.edit.create access"
    response = await client.delete(f"/assets/{asset_id}/edits", headers=bob.headers)
    assert response.json()["message"] == "Not found or no asset.edit.delete access"
    response = await client.get(f"/assets/{asset_id}/edits", headers=bob.headers)
    assert response.json()["message"] == "Not found or no asset.read access"
    assert (await client.get(f"/assets/{asset_id}/edits")).status_code == 401

    video = await upload_id(client, admin, "clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    await settle(app)
    response = await client.put(f"/assets/{video}/edits", headers=admin.headers, json={"edits": [ROTATE]})
    assert response.status_code == 400
    assert response.json()["message"] == "Only images can be edited"


async def test_a_deleted_asset_takes_its_edits_along(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await _photo(client, app, admin)
    response = await client.put(f"/assets/{asset_id}/edits", headers=admin.headers, json={"edits": [ROTATE]})
    assert response.status_code == 200
    await settle(app)
    response = await client.request(
        "DELETE", "/assets", headers=admin.headers, json={"ids": [asset_id], "force": True}
    )
    assert response.status_code == 204
    await settle(app)
    async with app.state.container.database.unit_of_work() as db:
        assert await db.get(Asset, uuid.UUID(asset_id)) is None
    assert await _edited_files(app, asset_id) == {}
