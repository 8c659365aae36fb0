"""Tags: create, nest, upsert by path, colours, tag and untag assets (one by one and in bulk), delete with
children, isolation between users, tags in asset responses, search and timeline, the sidecar that
carries hand-set tags, keywords read from files, and the TagCleanup job."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from albumen.media.metadata import MetadataReader
from tests.conftest import ASSETS_DIR
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_api_key, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"
FALCON = ASSETS_DIR / "albums/nature/prairie_falcon.jpg"  # keywords, one of them hierarchical
ANEMONES = ASSETS_DIR / "albums/nature/wood_anemones.jpg"  # no keywords


async def _people(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    return admin, await create_user(client, admin, "bob@example.com")


async def _create(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> dict[str, Any]:
    response = await client.post("/tags", headers=who.headers, json=body)
    assert response.status_code == 201, response.text
    tag: dict[str, Any] = response.json()
    return tag


async def _upsert(client: httpx.AsyncClient, who: LoggedIn, *values: str) -> list[dict[str, Any]]:
    response = await client.put("/tags", headers=who.headers, json={"tags": list(values)})
    assert response.status_code == 200, response.text
    tags: list[dict[str, Any]] = response.json()
    return tags


async def _values(client: httpx.AsyncClient, who: LoggedIn) -> list[str]:
    response = await client.get("/tags", headers=who.headers)
    assert response.status_code == 200, response.text
    return [tag["value"] for tag in response.json()]


async def _asset_tags(client: httpx.AsyncClient, who: LoggedIn, asset_id: str) -> list[str]:
    response = await client.get(f"/assets/{asset_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return [tag["value"] for tag in response.json()["tags"]]


def _refused(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"Not found or no {permission} access"}


async def test_create_nest_read_and_list(client: httpx.AsyncClient) -> None:
    admin, bob = await _people(client)
    travel = await _create(client, admin, name="Travel")
    assert set(travel) == {"id", "name", "value", "createdAt", "updatedAt"}  # no parent, no colour
    japan = await _create(client, admin, name="Japan", parentId=travel["id"], color="F0a")
    assert (japan["name"], japan["value"], japan["parentId"], japan["color"]) == (
        "Japan",
        "Travel/Japan",
        travel["id"],
        "#F0a",
    )
    assert (await client.get(f"/tags/{japan['id']}", headers=admin.headers)).json() == japan
    # Another user may use the same value; the same user may not, nor nest under someone else's tag.
    await _create(client, bob, name="Travel")
    again = await client.post(
        "/tags", headers=admin.headers, json={"name": "Japan", "parentId": travel["id"]}
    )
    assert again.status_code == 400
    assert again.json()["message"] == "A tag with that name already exists"
    _refused(
        await client.post("/tags", headers=bob.headers, json={"name": "x", "parentId": travel["id"]}),
        "tag.read",
    )
    bad = await client.post("/tags", headers=admin.headers, json={"name": "x", "color": "#12345"})
    assert bad.status_code == 400
    assert bad.json()["message"] == "Validation failed"

    # Longer than a unique index entry can be: refused, not a server error.
    long = "".join(chr(0x4E00 + n % 2000) for n in range(1000))  # 3000 bytes of UTF-8
    too_long = await client.post("/tags", headers=admin.headers, json={"name": long})
    assert too_long.status_code == 400, too_long.text
    assert (await client.put("/tags", headers=admin.headers, json={"tags": [f"a/{long}"]})).status_code == 400

    listed = (await client.get("/tags", headers=admin.headers)).json()
    assert listed == [travel, japan]  # by value, each exactly as created
    assert await _values(client, bob) == ["Travel"]


async def test_upsert_makes_every_level_once(client: httpx.AsyncClient) -> None:
    admin, _ = await _people(client)
    [leaf, other] = await _upsert(client, admin, "A/B/C", "D", "A/B/C", "//")
    assert (leaf["name"], leaf["value"], other["value"]) == ("C", "A/B/C", "D")
    tags = {tag["value"]: tag for tag in (await client.get("/tags", headers=admin.headers)).json()}
    assert list(tags) == ["A", "A/B", "A/B/C", "D"]
    assert tags["A/B"]["parentId"] == tags["A"]["id"]
    assert tags["A/B/C"]["parentId"] == tags["A/B"]["id"] == leaf["parentId"]
    assert "parentId" not in tags["A"]

    # Concurrent upserts of one path agree on every row.
    answers = await asyncio.gather(*(_upsert(client, admin, "E/F/G/H") for _ in range(4)))
    assert {(a[0]["id"], a[0]["parentId"], a[0]["createdAt"]) for a in answers} == {
        (answers[0][0]["id"], answers[0][0]["parentId"], answers[0][0]["createdAt"])
    }
    assert await _values(client, admin) == ["A", "A/B", "A/B/C", "D", "E", "E/F", "E/F/G", "E/F/G/H"]


async def test_colour_updates(client: httpx.AsyncClient) -> None:
    admin, bob = await _people(client)
    tag = await _create(client, admin, name="tagA")
    for sent, kept in [("000000", "#000000"), ("#ABCD", "#ABCD"), ("#12345678", "#12345678")]:
        response = await client.put(f"/tags/{tag['id']}", headers=admin.headers, json={"color": sent})
        assert response.status_code == 200, response.text
        assert response.json()["color"] == kept
    # Nothing sent changes nothing; null clears the colour.
    assert (await client.put(f"/tags/{tag['id']}", headers=admin.headers, json={})).json()[
        "color"
    ] == "#12345678"
    cleared = await client.put(f"/tags/{tag['id']}", headers=admin.headers, json={"color": None})
    assert "color" not in cleared.json()
    bad = await client.put(f"/tags/{tag['id']}", headers=admin.headers, json={"color": "red"})
    assert bad.status_code == 400
    _refused(await client.put(f"/tags/{tag['id']}", headers=bob.headers, json={"color": "fff"}), "tag.update")


async def test_other_users_tags_are_refused_and_unchanged(client: httpx.AsyncClient) -> None:
    admin, bob = await _people(client)
    tag = await _create(client, admin, name="Mine")
    bobs_asset = await upload_id(client, bob, "bobs.jpg")
    _refused(await client.get(f"/tags/{tag['id']}", headers=bob.headers), "tag.read")
    _refused(await client.get(f"/tags/{NO_SUCH_ID}", headers=bob.headers), "tag.read")
    _refused(await client.delete(f"/tags/{tag['id']}", headers=bob.headers), "tag.delete")
    for method in ("PUT", "DELETE"):
        response = await client.request(
            method, f"/tags/{tag['id']}/assets", headers=bob.headers, json={"ids": [bobs_asset]}
        )
        _refused(response, "tag.asset")
    bulk = await client.put(
        "/tags/assets", headers=bob.headers, json={"tagIds": [tag["id"]], "assetIds": [bobs_asset]}
    )
    assert bulk.json() == {"count": 0}
    assert await _values(client, admin) == ["Mine"]
    assert await _asset_tags(client, bob, bobs_asset) == []
    invalid = await client.get("/tags/not-a-uuid", headers=admin.headers)
    assert invalid.status_code == 400

    # An API key needs the tag permissions.
    secret = await create_api_key(client, admin, ["asset.read"])
    response = await client.get("/tags", headers={"x-api-key": secret})
    assert response.status_code == 403
    assert response.json()["message"] == "Missing required permission: tag.read"


async def test_tag_and_untag_assets_one_by_one(client: httpx.AsyncClient, app: Any) -> None:
    admin, bob = await _people(client)
    mine = await upload_id(client, admin, "mine.jpg")
    bobs = await upload_id(client, bob, "bobs.jpg")
    partner = await client.post("/partners", headers=bob.headers, json={"sharedWithId": admin.user_id})
    assert partner.status_code == 201, partner.text
    tag = await _create(client, admin, name="Trips")

    added = await client.put(
        f"/tags/{tag['id']}/assets", headers=admin.headers, json={"ids": [mine, mine, bobs, NO_SUCH_ID]}
    )
    assert added.status_code == 200, added.text
    assert added.json() == [
        {"id": mine, "success": True},
        {"id": mine, "success": False, "error": "duplicate"},
        # A partner's asset is readable, not the caller's to tag.
        {"id": bobs, "success": False, "error": "no_permission"},
        {"id": NO_SUCH_ID, "success": False, "error": "no_permission"},
    ]
    assert await _asset_tags(client, admin, mine) == ["Trips"]
    assert await _asset_tags(client, bob, bobs) == []
    again = await client.put(f"/tags/{tag['id']}/assets", headers=admin.headers, json={"ids": [mine]})
    assert again.json() == [{"id": mine, "success": False, "error": "duplicate"}]

    removed = await client.request(
        "DELETE", f"/tags/{tag['id']}/assets", headers=admin.headers, json={"ids": [mine, mine, bobs]}
    )
    assert removed.json() == [
        {"id": mine, "success": True},
        {"id": mine, "success": False, "error": "not_found"},
        {"id": bobs, "success": False, "error": "not_found"},
    ]
    assert await _asset_tags(client, admin, mine) == []
    await settle(app)


async def test_bulk_tagging_counts_new_pairs(client: httpx.AsyncClient, app: Any) -> None:
    admin, bob = await _people(client)
    a, b = await upload_id(client, admin, "a.jpg"), await upload_id(client, admin, "b.jpg")
    bobs = await upload_id(client, bob, "bobs.jpg")
    [x, y] = await _upsert(client, admin, "X", "Y/Z")
    bobs_tag = await _create(client, bob, name="Bob's")

    body = {"tagIds": [x["id"], y["id"], bobs_tag["id"]], "assetIds": [a, b, bobs]}
    response = await client.put("/tags/assets", headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"count": 4}
    # Pairs already there are not counted again.
    assert (await client.put("/tags/assets", headers=admin.headers, json=body)).json() == {"count": 0}
    assert await _asset_tags(client, admin, a) == ["X", "Y/Z"]
    assert await _asset_tags(client, bob, bobs) == []
    # A stack's assets come with their tags too.
    stack = await client.post("/stacks", headers=admin.headers, json={"assetIds": [a, b]})
    got = await client.get(f"/stacks/{stack.json()['id']}", headers=admin.headers)
    assert [[tag["name"] for tag in asset["tags"]] for asset in got.json()["assets"]] == [["X", "Z"]] * 2
    await settle(app)


async def test_search_and_timeline_find_a_tag_with_its_children(client: httpx.AsyncClient, app: Any) -> None:
    admin, _ = await _people(client)
    paris, rome, home = [await upload_id(client, admin, f"{name}.jpg") for name in ("paris", "rome", "home")]
    [trips, trips_paris] = await _upsert(client, admin, "Trips", "Trips/Paris")
    body = {"tagIds": [trips_paris["id"]], "assetIds": [paris]}
    await client.put("/tags/assets", headers=admin.headers, json=body)
    await client.put(f"/tags/{trips['id']}/assets", headers=admin.headers, json={"ids": [rome]})

    async def searched(tag_id: str) -> set[str]:
        response = await client.post("/search/metadata", headers=admin.headers, json={"tagIds": [tag_id]})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["assets"]["items"]}

    assert await searched(trips["id"]) == {paris, rome}
    assert await searched(trips_paris["id"]) == {paris}
    buckets = await client.get("/timeline/buckets", headers=admin.headers, params={"tagId": trips["id"]})
    assert sum(bucket["count"] for bucket in buckets.json()) == 2
    assert home not in await searched(trips["id"])
    await settle(app)


async def test_deleting_a_tag_deletes_its_children_and_takes_it_off_assets(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin, _ = await _people(client)
    asset = await upload_id(client, admin, "tagged.jpg", ANEMONES.read_bytes())
    await settle(app)
    [a, ab, keep] = await _upsert(client, admin, "A", "A/B", "Keep")
    body = {"tagIds": [ab["id"], keep["id"]], "assetIds": [asset]}
    assert (await client.put("/tags/assets", headers=admin.headers, json=body)).json() == {"count": 2}
    await settle(app)

    response = await client.delete(f"/tags/{a['id']}", headers=admin.headers)
    assert response.status_code == 204
    assert await _values(client, admin) == ["Keep"]
    assert await _asset_tags(client, admin, asset) == ["Keep"]
    await settle(app)
    # The metadata read again after the sidecar write does not bring the deleted tag back.
    assert await _values(client, admin) == ["Keep"]
    assert await _asset_tags(client, admin, asset) == ["Keep"]


def _sidecars(data_dir: Path) -> list[Path]:
    return sorted(data_dir.rglob("*.xmp"))


async def test_hand_set_tags_go_into_the_sidecar_and_survive_a_refresh(
    client: httpx.AsyncClient, app: Any, settings: Any
) -> None:
    admin, _ = await _people(client)
    asset = await upload_id(client, admin, "falcon.jpg", FALCON.read_bytes())
    await settle(app)
    # The file's keywords became tags; the hierarchical one ("Other Keywords|SFAN") by its levels.
    read = await _asset_tags(client, admin, asset)
    assert {"Other Keywords/SFAN", "raptors", "prairie falcons"} <= set(read)
    assert "Other Keywords" in await _values(client, admin)

    [tag] = await _upsert(client, admin, "Birds/Falcons")
    await client.put(f"/tags/{tag['id']}/assets", headers=admin.headers, json={"ids": [asset]})
    raptors = next(
        t for t in (await client.get("/tags", headers=admin.headers)).json() if t["value"] == "raptors"
    )
    await client.request(
        "DELETE", f"/tags/{raptors['id']}/assets", headers=admin.headers, json={"ids": [asset]}
    )
    await settle(app)

    wanted = sorted({*read, "Birds/Falcons"} - {"raptors"})
    [sidecar] = _sidecars(settings.data_dir)
    with MetadataReader() as reader:
        written = reader.read_tags(sidecar)["TagsList"]
    assert sorted(written) == wanted
    assert await _asset_tags(client, admin, asset) == wanted

    refresh = {"assetIds": [asset], "name": "refresh-metadata"}
    assert (await client.post("/assets/jobs", headers=admin.headers, json=refresh)).status_code == 204
    await settle(app)
    assert await _asset_tags(client, admin, asset) == wanted
    exif = (await client.get(f"/assets/{asset}", headers=admin.headers)).json()["exifInfo"]
    assert exif["description"].startswith("Adult female prairie falcon")  # the rest was read again


async def test_tag_cleanup_removes_tags_no_asset_uses(client: httpx.AsyncClient, app: Any) -> None:
    admin, bob = await _people(client)
    asset = await upload_id(client, admin, "used.jpg")
    [used, _unused, _empty_child] = await _upsert(client, admin, "Used/Leaf", "Unused", "Used/Empty")
    await _upsert(client, bob, "Bob/Nothing")
    await client.put(f"/tags/{used['id']}/assets", headers=admin.headers, json={"ids": [asset]})
    await settle(app)

    response = await client.post("/jobs", headers=admin.headers, json={"name": "tag-cleanup"})
    assert response.status_code == 204, response.text
    await settle(app)
    # A parent stays while a tag below it is on an asset.
    assert await _values(client, admin) == ["Used", "Used/Leaf"]
    assert await _values(client, bob) == []
