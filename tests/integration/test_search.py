"""/search: every metadata filter, paging, suggestions, explore, cities, places, people, the smart
search refusal, isolation between users, and Immich-shaped 400s for bad input.

The library is real uploads (two real photos from the shared test assets, the rest small JPEG-looking
files); once their background jobs have settled, the EXIF columns are set by hand so each filter has
a known answer."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import ASSETS_DIR
from tests.support.assets import upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"

# name -> (file, taken, asset columns, exif columns)
LIBRARY: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    "falcon": (
        "albums/nature/prairie_falcon.jpg",
        "2020-01-01T10:00:00+00:00",
        {"is_favorite": True},
        {
            "city": "Paris",
            "state": "Île-de-France",
            "country": "France",
            "make": "Canon",
            "model": "Canon EOS 7D",
            "lens_model": "EF 50mm",
            "rating": 5,
            "description": "A falcon over the prairie",
            "file_size_in_byte": 5000,
        },
    ),
    "rocks": (
        "formats/jpg/el_torcal_rocks.jpg",
        "2021-06-01T10:00:00+00:00",
        {},
        {
            "city": "Berlin",
            "state": "State of Berlin",
            "country": "Germany",
            "make": "NIKON CORPORATION",
            "model": "NIKON D80",
            "lens_model": None,
            "rating": 3,
            "description": "",
            "file_size_in_byte": 9000,
        },
    ),
    "phone": (
        "IMG_0001.jpg",
        "2022-01-01T10:00:00+00:00",
        {},
        {"make": "Apple", "model": "iPhone 7", "city": None, "country": None, "file_size_in_byte": 100},
    ),
    "archived": ("IMG_0002.jpg", "2023-01-01T10:00:00+00:00", {"visibility": "archive"}, {}),
    "trashed": ("IMG_0003.jpg", "2019-01-01T10:00:00+00:00", {}, {}),
    "locked": ("secret.jpg", "2024-01-01T10:00:00+00:00", {"visibility": "locked"}, {}),
    "hidden": ("motion_part.jpg", "2018-01-01T10:00:00+00:00", {"visibility": "hidden"}, {}),
}
EXIF_DEFAULTS = {
    "city": None,
    "state": None,
    "country": None,
    "make": None,
    "model": None,
    "lens_model": None,
    "rating": None,
    "description": "",
    "file_size_in_byte": None,
}


@dataclass
class Library:
    admin: LoggedIn
    bob: LoggedIn
    ids: dict[str, str]
    bob_asset: str
    album_id: str
    tag_id: str
    person_id: str


async def _execute(database_url: str, query: str, *args: Any) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(query, *args)
    finally:
        await connection.close()


async def _set_exif(database_url: str, asset_id: str, taken: str, exif: dict[str, Any]) -> None:
    values = {**EXIF_DEFAULTS, **exif}
    columns = list(values)
    placeholders = ", ".join(f"${i + 2}" for i in range(len(columns)))
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            f"INSERT INTO asset_exif (asset_id, update_id, {', '.join(columns)}) "
            f"VALUES ($1, gen_random_uuid(), {placeholders}) "
            f"ON CONFLICT (asset_id) DO UPDATE SET {updates}",
            uuid.UUID(asset_id),
            *values.values(),
        )
        await connection.execute(
            "UPDATE asset SET file_created_at = $2::text::timestamptz, "
            "local_date_time = $2::text::timestamptz WHERE id = $1",
            uuid.UUID(asset_id),
            taken,
        )
    finally:
        await connection.close()


async def _library(client: httpx.AsyncClient, app: Any, database_url: str) -> Library:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    ids: dict[str, str] = {}
    for name, (file, taken, _columns, _exif) in LIBRARY.items():
        path = ASSETS_DIR / file
        content = path.read_bytes() if path.exists() else None
        ids[name] = await upload_id(client, admin, path.name, content, fileCreatedAt=taken)
    bob_asset = await upload_id(client, bob, "bob.jpg")
    await settle(app)  # metadata extraction is done: hand-set EXIF below is what stays
    for name, (_file, taken, columns, exif) in LIBRARY.items():
        await _set_exif(database_url, ids[name], taken, exif)
        for column, value in columns.items():
            await _execute(
                database_url, f"UPDATE asset SET {column} = $2 WHERE id = $1", uuid.UUID(ids[name]), value
            )
    await _set_exif(database_url, bob_asset, "2020-05-05T00:00:00+00:00", {"city": "Paris", "make": "Leica"})
    trashed = await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": [ids["trashed"]]})
    assert trashed.status_code == 204, trashed.text

    album = await client.post(
        "/albums", headers=admin.headers, json={"albumName": "Birds", "assetIds": [ids["falcon"]]}
    )
    assert album.status_code == 201, album.text
    tag_id, person_id = str(uuid.uuid4()), str(uuid.uuid4())
    owner = uuid.UUID(admin.user_id)
    await _execute(
        database_url,
        "INSERT INTO tag (id, user_id, value, update_id) VALUES ($1, $2, 'Travel', gen_random_uuid())",
        uuid.UUID(tag_id),
        owner,
    )
    await _execute(database_url, "INSERT INTO tag_closure VALUES ($1, $1)", uuid.UUID(tag_id))
    await _execute(
        database_url,
        "INSERT INTO tag_asset (asset_id, tag_id) VALUES ($1, $2)",
        uuid.UUID(ids["rocks"]),
        uuid.UUID(tag_id),
    )
    await _execute(
        database_url,
        "INSERT INTO person (id, owner_id, name, update_id) "
        "VALUES ($1, $2, 'Marie Curie', gen_random_uuid())",
        uuid.UUID(person_id),
        owner,
    )
    await _execute(
        database_url,
        "INSERT INTO person (owner_id, name, is_hidden, update_id) "
        "VALUES ($1, 'Mario Hidden', true, gen_random_uuid())",
        owner,
    )
    await _execute(
        database_url,
        "INSERT INTO asset_face (asset_id, person_id, update_id) VALUES ($1, $2, gen_random_uuid())",
        uuid.UUID(ids["falcon"]),
        uuid.UUID(person_id),
    )
    return Library(admin, bob, ids, bob_asset, album.json()["id"], tag_id, person_id)


async def _search(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> dict[str, Any]:
    response = await client.post("/search/metadata", headers=who.headers, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _found(client: httpx.AsyncClient, who: LoggedIn, library: Library, **body: Any) -> list[str]:
    """Names of the assets a metadata search returns, in order."""
    by_id = {asset_id: name for name, asset_id in library.ids.items()}
    by_id[library.bob_asset] = "bob"
    items = (await _search(client, who, **body))["assets"]["items"]
    return [by_id[item["id"]] for item in items]


async def test_each_metadata_filter_finds_exactly_its_assets(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    admin = lib.admin
    visible = ["archived", "phone", "rocks", "falcon", "hidden"]  # newest taken first; no trash, no locked

    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, visible),
        ({"order": "asc"}, list(reversed(visible))),
        ({"takenAfter": "2021-01-01T00:00:00.000Z"}, ["archived", "phone", "rocks"]),
        ({"takenBefore": "2021-01-01T00:00:00.000Z"}, ["falcon", "hidden"]),
        ({"takenAfter": "2022-06-01T00:00:00.000Z", "takenBefore": "2020-01-01T00:00:00.000Z"}, []),
        ({"createdAfter": "2000-01-01T00:00:00.000Z", "size": 1}, ["archived"]),
        ({"createdBefore": "2000-01-01T00:00:00.000Z"}, []),
        ({"updatedAfter": "2999-01-01T00:00:00.000Z"}, []),
        ({"city": "Paris"}, ["falcon"]),
        ({"state": "State of Berlin"}, ["rocks"]),
        ({"country": "Germany"}, ["rocks"]),
        ({"city": None, "visibility": "timeline"}, ["phone"]),
        ({"make": "Apple"}, ["phone"]),
        ({"model": "Canon EOS 7D"}, ["falcon"]),
        ({"lensModel": "EF 50mm"}, ["falcon"]),
        ({"lensModel": None, "visibility": "timeline"}, ["phone", "rocks"]),
        ({"rating": 3}, ["rocks"]),
        ({"rating": None, "visibility": "timeline"}, ["phone"]),
        ({"originalFileName": "FALCON"}, ["falcon"]),
        ({"originalFileName": "img_000"}, ["archived", "phone"]),
        ({"originalFileName": "%"}, []),  # wildcards are literal characters
        ({"originalFileName": "'; DROP TABLE asset; --"}, []),
        ({"description": "prairie"}, ["falcon"]),
        ({"checksum": "0" * 40}, []),
        ({"checksum": "not a checksum"}, []),
        ({"id": lib.ids["rocks"]}, ["rocks"]),
        ({"type": "VIDEO"}, []),
        ({"type": "IMAGE", "visibility": "archive"}, ["archived"]),
        ({"visibility": "hidden"}, ["hidden"]),
        ({"isFavorite": True}, ["falcon"]),
        ({"isFavorite": False, "visibility": "timeline"}, ["phone", "rocks"]),
        ({"isMotion": True}, []),
        ({"isEncoded": True}, []),
        ({"isOffline": False, "visibility": "timeline"}, ["phone", "rocks", "falcon"]),
        ({"isOffline": True}, []),
        ({"isNotInAlbum": True, "visibility": "timeline"}, ["phone", "rocks"]),
        ({"albumIds": [lib.album_id]}, ["falcon"]),
        ({"tagIds": [lib.tag_id]}, ["rocks"]),
        # prairie_falcon.jpg carries keywords, which metadata extraction made tags.
        ({"tagIds": None, "visibility": "timeline"}, ["phone"]),
        ({"personIds": [lib.person_id]}, ["falcon"]),
        ({"libraryId": None, "size": 1}, ["archived"]),
        ({"withDeleted": True, "visibility": "timeline"}, ["phone", "rocks", "falcon", "trashed"]),
        ({"trashedAfter": "2000-01-01T00:00:00.000Z"}, ["trashed"]),
        ({"trashedBefore": "2000-01-01T00:00:00.000Z"}, []),
        ({"withStacked": False, "visibility": "archive"}, ["archived"]),
    ]
    for body, expected in cases:
        assert await _found(client, admin, lib, **body) == expected, body


async def test_checksum_matches_in_hex_and_base64(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    asset = (await client.get(f"/assets/{lib.ids['falcon']}", headers=lib.admin.headers)).json()
    base64_sum = asset["checksum"]
    hex_sum = base64.b64decode(base64_sum).hex()
    assert await _found(client, lib.admin, lib, checksum=base64_sum) == ["falcon"]
    assert await _found(client, lib.admin, lib, checksum=hex_sum) == ["falcon"]
    folder = asset["originalPath"].rsplit("/", 1)[0]
    assert "falcon" in await _found(client, lib.admin, lib, originalPath=folder.upper())
    assert await _found(client, lib.admin, lib, originalPath=asset["originalPath"]) == ["falcon"]


async def test_pages_carry_next_page_until_the_last(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    seen: list[str] = []
    page: int | None = 1
    pages = 0
    while page is not None:
        result = await _search(client, lib.admin, size=2, page=page, visibility="timeline")
        assets = result["assets"]
        assert assets["count"] == len(assets["items"]) <= 2
        assert result["albums"] == {"total": 0, "count": 0, "items": [], "facets": []}
        seen += [item["id"] for item in assets["items"]]
        pages += 1
        page = int(assets["nextPage"]) if assets["nextPage"] else None
        if page is not None:
            assert page == pages + 1
    assert pages == 2  # three timeline assets: a full page, then a last page with no nextPage
    assert seen == [lib.ids["phone"], lib.ids["rocks"], lib.ids["falcon"]]


async def test_results_are_immich_assets_with_exif_only_when_asked(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    plain = (await _search(client, lib.admin, city="Paris"))["assets"]["items"][0]
    assert "exifInfo" not in plain
    assert "owner" not in plain
    assert plain["isFavorite"] is True
    assert plain["originalFileName"] == "prairie_falcon.jpg"
    detailed = (await _search(client, lib.admin, city="Paris", withExif=True))["assets"]["items"][0]
    assert detailed["exifInfo"]["city"] == "Paris"
    assert detailed["exifInfo"]["rating"] == 5


async def test_locked_folder_needs_an_unlocked_session(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    refused = await client.post("/search/metadata", headers=lib.admin.headers, json={"visibility": "locked"})
    assert refused.status_code == 401
    assert refused.json() == {"message": "Elevated permission is required"}
    stats = await client.post("/search/statistics", headers=lib.admin.headers, json={"visibility": "locked"})
    assert stats.status_code == 401
    await _execute(database_url, "UPDATE session SET pin_expires_at = now() + interval '1 hour'")
    assert await _found(client, lib.admin, lib, visibility="locked") == ["locked"]
    assert "locked" in await _found(client, lib.admin, lib)  # an unlocked session sees everything


async def test_users_see_only_their_own_assets_and_timeline_partners(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    assert await _found(client, lib.bob, lib) == ["bob"]
    assert await _found(client, lib.bob, lib, city="Paris") == ["bob"]
    assert await _found(client, lib.bob, lib, id=lib.ids["falcon"]) == []
    stats = await client.post("/search/statistics", headers=lib.bob.headers, json={})
    assert stats.json() == {"total": 1}
    random = await client.post("/search/random", headers=lib.bob.headers, json={"size": 50})
    assert [item["id"] for item in random.json()] == [lib.bob_asset]
    cities = await client.get("/search/cities", headers=lib.bob.headers)
    assert [item["id"] for item in cities.json()] == [lib.bob_asset]
    makes = await client.get("/search/suggestions?type=camera-make", headers=lib.bob.headers)
    assert makes.json() == ["Leica"]
    album = await client.post("/search/metadata", headers=lib.bob.headers, json={"albumIds": [lib.album_id]})
    assert album.status_code == 400
    assert album.json() == {"message": "Not found or no album.read access"}
    people = await client.get("/search/person?name=Marie", headers=lib.bob.headers)
    assert people.json() == []

    # A partner shown in the timeline adds their assets, never their favourites flag.
    await _execute(
        database_url,
        "INSERT INTO partner (shared_by_id, shared_with_id, in_timeline, update_id, create_id) "
        "VALUES ($1, $2, true, gen_random_uuid(), gen_random_uuid())",
        uuid.UUID(lib.admin.user_id),
        uuid.UUID(lib.bob.user_id),
    )
    shared = await _search(client, lib.bob, city="Paris")
    assert sorted(item["id"] for item in shared["assets"]["items"]) == sorted(
        [lib.bob_asset, lib.ids["falcon"]]
    )
    falcon = next(item for item in shared["assets"]["items"] if item["id"] == lib.ids["falcon"])
    assert falcon["isFavorite"] is False
    assert "locked" not in await _found(client, lib.bob, lib)


async def test_statistics_random_and_large_assets(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)
    headers = lib.admin.headers
    stats = await client.post("/search/statistics", headers=headers, json={"visibility": "timeline"})
    assert stats.status_code == 200
    assert stats.json() == {"total": 3}
    trashed = await client.post(
        "/search/statistics", headers=headers, json={"trashedAfter": "2000-01-01T00:00:00.000Z"}
    )
    assert trashed.json() == {"total": 1}
    favourites = await client.post("/search/statistics", headers=headers, json={"isFavorite": True})
    assert favourites.json() == {"total": 1}

    for _ in range(5):
        random = await client.post(
            "/search/random", headers=headers, json={"size": 2, "visibility": "timeline"}
        )
        assert random.status_code == 200
        items = random.json()
        assert len(items) == 2
        assert len({item["id"] for item in items}) == 2
        assert {item["id"] for item in items} <= {lib.ids[name] for name in ("falcon", "rocks", "phone")}

    large = await client.post("/search/large-assets?minFileSize=200&size=5", headers=headers)
    assert large.status_code == 200, large.text
    assert [item["id"] for item in large.json()] == [lib.ids["rocks"], lib.ids["falcon"]]
    assert large.json()[0]["exifInfo"]["fileSizeInByte"] == 9000
    narrowed = await client.post("/search/large-assets?city=Paris", headers=headers)
    assert [item["id"] for item in narrowed.json()] == [lib.ids["falcon"]]


async def test_suggestions_are_sorted_narrowed_and_take_null(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    lib = await _library(client, app, database_url)

    async def suggest(query: str) -> Any:
        response = await client.get(f"/search/suggestions?{query}", headers=lib.admin.headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert await suggest("type=country") == ["France", "Germany"]
    assert await suggest("type=country&includeNull=true") == ["France", "Germany", None]
    # Accents and punctuation sort as in en_US: Île-de-France between "H" and "S".
    assert await suggest("type=state") == ["Île-de-France", "State of Berlin"]
    assert await suggest("type=city&country=Germany") == ["Berlin"]
    assert await suggest("type=camera-make") == ["Apple", "Canon", "NIKON CORPORATION"]
    assert await suggest("type=camera-model&make=Canon") == ["Canon EOS 7D"]
    assert await suggest("type=camera-model") == ["Canon EOS 7D", "iPhone 7", "NIKON D80"]
    assert await suggest("type=camera-lens-model&model=NIKON%20D80") == []
    assert await suggest("type=camera-lens-model") == ["EF 50mm"]
    bad = await client.get("/search/suggestions?type=lens", headers=lib.admin.headers)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Validation failed"


async def test_explore_and_cities(client: httpx.AsyncClient, app: Any, database_url: str) -> None:
    lib = await _library(client, app, database_url)
    tokyo = [await upload_id(client, lib.admin, f"tokyo-{index}.jpg") for index in range(5)]
    await settle(app)
    for asset_id in tokyo:
        await _set_exif(database_url, asset_id, "2017-01-01T00:00:00+00:00", {"city": "Tokyo"})
    explore = await client.get("/search/explore", headers=lib.admin.headers)
    assert explore.status_code == 200
    cities, recent = explore.json()
    assert cities["fieldName"] == "exifInfo.city"
    assert [item["value"] for item in cities["items"]] == ["Tokyo"]  # Paris and Berlin have one each
    assert cities["items"][0]["data"]["exifInfo"]["city"] == "Tokyo"
    assert recent["fieldName"] == "createdAt"
    recent_ids = [item["data"]["id"] for item in recent["items"]]
    assert lib.ids["falcon"] in recent_ids
    assert lib.ids["archived"] not in recent_ids
    assert all(item["value"] == item["data"]["createdAt"] for item in recent["items"])

    by_city = await client.get("/search/cities", headers=lib.admin.headers)
    assert [item["exifInfo"]["city"] for item in by_city.json()] == ["Berlin", "Paris", "Tokyo"]


async def test_places_people_and_smart_search(client: httpx.AsyncClient, app: Any, database_url: str) -> None:
    lib = await _library(client, app, database_url)
    headers = lib.admin.headers
    places = await client.get("/search/places?name=paris", headers=headers)
    assert places.status_code == 200
    found = places.json()
    assert len(found) > 5
    assert found[0]["name"] == "Paris"
    assert found[0]["admin1name"] == "Île-de-France"
    assert (await client.get("/search/places?name=Zürich", headers=headers)).json()[0]["name"] == "Zürich"
    assert (await client.get("/search/places?name=xqzxqzxqz", headers=headers)).json() == []

    people = await client.get("/search/person?name=marie", headers=headers)
    assert [person["id"] for person in people.json()] == [lib.person_id]
    assert people.json()[0]["name"] == "Marie Curie"
    hidden = await client.get("/search/person?name=hidden&withHidden=true", headers=headers)
    assert [person["name"] for person in hidden.json()] == ["Mario Hidden"]
    assert (await client.get("/search/person?name=hidden", headers=headers)).json() == []
    # Word similarity, as Immich: "Mario" finds the closer name first, then "Marie".
    similar = await client.get("/search/person?name=Mario&withHidden=true", headers=headers)
    assert [person["name"] for person in similar.json()] == ["Mario Hidden", "Marie Curie"]

    smart = await client.post("/search/smart", headers=headers, json={"query": "a bird"})
    assert smart.status_code == 400
    assert smart.json() == {"message": "Smart search is not enabled"}


async def test_smart_search_enabled_in_config_is_still_refused(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await sign_up_admin(client)
    config = (await client.get("/system-config", headers=admin.headers)).json()
    config["machineLearning"]["enabled"] = True
    config["machineLearning"]["clip"]["enabled"] = True
    saved = await client.put("/system-config", headers=admin.headers, json=config)
    assert saved.status_code == 200, saved.text
    smart = await client.post("/search/smart", headers=admin.headers, json={"query": "a bird"})
    assert smart.status_code == 400
    assert "machine learning" in smart.json()["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/search/metadata", {"page": 0}),
        ("/search/metadata", {"size": 1001}),
        ("/search/metadata", {"size": 0}),
        ("/search/metadata", {"type": "PICTURE"}),
        ("/search/metadata", {"visibility": "everything"}),
        ("/search/metadata", {"order": "sideways"}),
        ("/search/metadata", {"albumIds": ["not-a-uuid"]}),
        ("/search/metadata", {"personIds": "oops"}),
        ("/search/metadata", {"takenAfter": "yesterday"}),
        ("/search/metadata", {"rating": 6}),
        ("/search/metadata", {"isFavorite": "maybe"}),
        ("/search/statistics", {"createdBefore": "last week"}),
        ("/search/random", {"size": 5000}),
        ("/search/smart", {"page": 0}),
    ],
)
async def test_bad_input_is_an_immich_validation_error(
    client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    admin = await sign_up_admin(client)
    response = await client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Validation failed"
    assert response.json()["errors"]


async def test_bad_query_input_and_credentials(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    for path in (
        "/search/places",
        "/search/person",
        "/search/suggestions",
        "/search/suggestions?type=city&includeNull=perhaps",
    ):
        response = await client.get(path, headers=admin.headers)
        assert response.status_code == 400, (path, response.text)
    large = await client.post("/search/large-assets?minFileSize=-1", headers=admin.headers)
    assert large.status_code == 400
    assert (await client.post("/search/metadata", json={})).status_code == 401
    assert (await client.get(f"/search/explore?x={NO_SUCH_ID}")).status_code == 401
