"""The map: GET /map/markers (filters, partners, shared albums, visibility), GET /map/reverse-geocode
and GET /albums/{id}/map-markers.

One photo goes through the real pipeline (its GPS read by exiftool, its place geocoded); the others are
fake uploads whose position is written into asset_exif, which is all the map reads.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from albumen.models import Asset, AssetExif, Partner
from tests.conftest import ASSETS_DIR
from tests.support.assets import fake_jpeg, upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

PARIS = (48.8566, 2.3522)
TOKYO = (35.6895, 139.6917)
SYDNEY = (-33.8688, 151.2093)


async def _place(
    app: Any, asset_id: str, position: tuple[float, float] | None, created: datetime | None = None
) -> None:
    """Gives an uploaded asset a position (None: none) and, optionally, a creation date."""
    values = {"asset_id": uuid.UUID(asset_id), "latitude": None, "longitude": None, "city": None}
    if position is not None:
        values.update(latitude=position[0], longitude=position[1], city=f"city-{position[0]}")
    async with app.state.container.database.unit_of_work() as db:
        statement = insert(AssetExif).values(**values)
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=[AssetExif.asset_id],
                set_={k: statement.excluded[k] for k in ("latitude", "longitude", "city")},
            )
        )
        if created is not None:
            await db.execute(
                update(Asset).where(Asset.id == uuid.UUID(asset_id)).values(file_created_at=created)
            )


async def _photo(
    client: httpx.AsyncClient,
    app: Any,
    who: LoggedIn,
    position: tuple[float, float] | None,
    created: datetime | None = None,
    **fields: Any,
) -> str:
    seed = uuid.uuid4().hex
    asset_id = await upload_id(client, who, f"{seed}.jpg", fake_jpeg(seed), **fields)
    await settle(app)  # the upload's metadata job would overwrite the position written below
    await _place(app, asset_id, position, created)
    return asset_id


async def _markers(client: httpx.AsyncClient, who: LoggedIn, **query: Any) -> list[str]:
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
    response = await client.get("/map/markers", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    return [marker["id"] for marker in response.json()]


async def _archive(client: httpx.AsyncClient, who: LoggedIn, *ids: str) -> None:
    response = await client.put(
        "/assets", headers=who.headers, json={"ids": list(ids), "visibility": "archive"}
    )
    assert response.status_code == 204, response.text


async def _partner(app: Any, shared_by: LoggedIn, shared_with: LoggedIn, in_timeline: bool) -> None:
    async with app.state.container.database.unit_of_work() as db:
        db.add(
            Partner(
                shared_by_id=uuid.UUID(shared_by.user_id),
                shared_with_id=uuid.UUID(shared_with.user_id),
                in_timeline=in_timeline,
            )
        )


async def test_a_real_photo_becomes_a_marker_with_its_place(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    path = ASSETS_DIR / "metadata/gps-position/thompson-springs.jpg"
    asset_id = await upload_id(client, admin, path.name, path.read_bytes())
    await settle(app)

    response = await client.get("/map/markers", headers=admin.headers)

    assert response.status_code == 200
    (marker,) = response.json()
    assert marker == {
        "id": asset_id,
        "lat": pytest.approx(39.115, abs=0.001),
        "lon": pytest.approx(-108.401, abs=0.001),
        "city": "Palisade",
        "state": "Colorado",
        "country": "United States of America",
    }


async def test_markers_are_the_callers_positioned_live_assets_newest_first(
    client: httpx.AsyncClient, app: Any
) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    old = await _photo(client, app, admin, PARIS, datetime(2020, 1, 1, tzinfo=UTC))
    new = await _photo(client, app, admin, TOKYO, datetime(2023, 1, 1, tzinfo=UTC))
    await _photo(client, app, admin, None)  # no position: no marker
    trashed = await _photo(client, app, admin, SYDNEY)
    assert (await client.request("DELETE", "/assets", headers=admin.headers,
                                 json={"ids": [trashed]})).status_code == 204  # fmt: skip
    bobs = await _photo(client, app, bob, SYDNEY)

    response = await client.get("/map/markers", headers=admin.headers)
    assert [m["id"] for m in response.json()] == [new, old]
    assert response.json()[0]["lat"] == pytest.approx(TOKYO[0])
    assert response.json()[0]["city"] == f"city-{TOKYO[0]}"
    # Bob sees only his own, and never Alice's with any of the options
    assert await _markers(client, bob) == [bobs]
    assert await _markers(client, bob, withPartners=True, withSharedAlbums=True, isArchived=True) == [bobs]


async def test_filters(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    early = await _photo(client, app, admin, PARIS, datetime(2020, 6, 1, tzinfo=UTC), isFavorite=True)
    late = await _photo(client, app, admin, TOKYO, datetime(2022, 6, 1, tzinfo=UTC))
    archived = await _photo(client, app, admin, SYDNEY, datetime(2021, 6, 1, tzinfo=UTC))
    await _archive(client, admin, archived)
    hidden_kinds = [await _photo(client, app, admin, SYDNEY, visibility=v) for v in ("hidden", "locked")]

    assert await _markers(client, admin) == [late, early]
    assert await _markers(client, admin, isArchived=False) == [late, early]
    assert await _markers(client, admin, isArchived=True) == [late, archived, early]
    assert await _markers(client, admin, isFavorite=True) == [early]
    assert await _markers(client, admin, isFavorite=False) == [late]
    after = "2021-01-01T00:00:00.000Z"
    assert await _markers(client, admin, fileCreatedAfter=after) == [late]
    assert await _markers(client, admin, fileCreatedBefore=after) == [early]
    # both bounds are inclusive
    assert await _markers(client, admin, fileCreatedAfter="2022-06-01T00:00:00Z",
                          fileCreatedBefore="2022-06-01T00:00:00+00:00") == [late]  # fmt: skip
    markers = await _markers(client, admin, isArchived=True)
    assert not set(hidden_kinds) & set(markers)


async def test_partner_markers(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    carol = await create_user(client, admin, "carol@example.com")
    mine = await _photo(client, app, admin, PARIS)
    bobs = await _photo(client, app, bob, TOKYO, datetime(2023, 1, 1, tzinfo=UTC))
    bobs_archived = await _photo(client, app, bob, SYDNEY)
    await _archive(client, bob, bobs_archived)
    carols = await _photo(client, app, carol, TOKYO, datetime(2022, 1, 1, tzinfo=UTC))
    await _partner(app, bob, admin, in_timeline=True)
    await _partner(app, carol, admin, in_timeline=False)  # Immich shows it on the map all the same
    await _partner(app, admin, carol, in_timeline=True)  # the other direction gives admin nothing

    assert await _markers(client, admin) == [mine]
    assert set(await _markers(client, admin, withPartners=True)) == {mine, bobs, carols}
    # a partner's archive stays private even when the caller asks for archived markers
    assert set(await _markers(client, admin, withPartners=True, isArchived=True)) == {mine, bobs, carols}
    # Carol shares with admin, not the reverse: admin's library stays out of Bob's map
    assert await _markers(client, bob, withPartners=True) == [bobs]
    assert set(await _markers(client, carol, withPartners=True)) == {carols, mine}


async def test_shared_album_markers(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    bob = await create_user(client, admin, "bob@example.com")
    in_album = await _photo(client, app, admin, PARIS)
    archived_in_album = await _photo(client, app, admin, SYDNEY)
    await _archive(client, admin, archived_in_album)
    outside = await _photo(client, app, admin, TOKYO)
    response = await client.post(
        "/albums",
        headers=admin.headers,
        json={"albumName": "Trip", "assetIds": [in_album, archived_in_album],
              "albumUsers": [{"userId": bob.user_id, "role": "viewer"}]},
    )  # fmt: skip
    assert response.status_code == 201
    album_id = response.json()["id"]

    assert await _markers(client, bob) == []
    assert await _markers(client, bob, withSharedAlbums=True) == [in_album]
    assert await _markers(client, bob, withSharedAlbums=True, isArchived=True) == [in_album]
    assert outside in await _markers(client, admin, withSharedAlbums=True)

    # the album's own markers: everything positioned in it, for any member
    for who in (admin, bob):
        response = await client.get(f"/albums/{album_id}/map-markers", headers=who.headers)
        assert response.status_code == 200
        assert {m["id"] for m in response.json()} == {in_album, archived_in_album}

    carol = await create_user(client, admin, "carol@example.com")
    response = await client.get(f"/albums/{album_id}/map-markers", headers=carol.headers)
    assert response.status_code == 400
    assert response.json()["message"] == "Not found or no album.read access"
    response = await client.get(f"/albums/{uuid.uuid4()}/map-markers", headers=admin.headers)
    assert response.status_code == 400
    response = await client.get("/albums/not-a-uuid/map-markers", headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Invalid UUID"

    # a deleted album no longer contributes
    assert (await client.delete(f"/albums/{album_id}", headers=admin.headers)).status_code == 204
    assert await _markers(client, bob, withSharedAlbums=True) == []


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ({"isArchived": "maybe"}, "isArchived", None),
        ({"fileCreatedAfter": "yesterday"}, "fileCreatedAfter",
         "Invalid input: expected ISO 8601 datetime string, received string"),
        ({"fileCreatedBefore": "2024-13-45T00:00:00Z"}, "fileCreatedBefore",
         "Invalid input: expected ISO 8601 datetime string, received string"),
    ],
)  # fmt: skip
async def test_bad_marker_filters_are_400(
    client: httpx.AsyncClient, query: dict[str, str], path: str, message: str | None
) -> None:
    admin = await sign_up_admin(client)
    response = await client.get("/map/markers", headers=admin.headers, params=query)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed"
    assert body["errors"][0]["path"] == [path]
    if message:
        assert body["errors"][0]["message"] == message


async def test_map_needs_a_login(client: httpx.AsyncClient) -> None:
    for path in ("/map/markers", "/map/reverse-geocode?lat=1&lon=1", f"/albums/{uuid.uuid4()}/map-markers"):
        response = await client.get(path)
        assert response.status_code == 401, path


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (48.137, 11.575, {"city": "Munich", "state": "Bavaria", "country": "Germany"}),
        (39.115, -108.4, {"city": "Palisade", "state": "Colorado", "country": "United States of America"}),
        (37.5665, 126.978, {"city": "Seoul", "state": "Seoul", "country": "South Korea"}),
        (0.0, -30.0, {"city": None, "state": None, "country": None}),  # mid-Atlantic: one empty result
    ],
)
async def test_reverse_geocode(
    client: httpx.AsyncClient, lat: float, lon: float, expected: dict[str, str | None]
) -> None:
    admin = await sign_up_admin(client)
    response = await client.get(
        "/map/reverse-geocode", headers=admin.headers, params={"lat": lat, "lon": lon}
    )
    assert response.status_code == 200
    assert response.json() == [expected]


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ("lon=123", "lat", "Invalid input: expected number, received NaN"),
        ("lat=abc&lon=1", "lat", "Invalid input: expected number, received NaN"),
        ("lat=91&lon=1", "lat", "Too big: expected number to be <=90"),
        ("lat=-90.5&lon=1", "lat", "Too small: expected number to be >=-90"),
        ("lat=1&lon=180.1", "lon", "Too big: expected number to be <=180"),
        ("lat=75", "lon", "Invalid input: expected number, received NaN"),
        ("lat=nan&lon=1", "lat", None),
    ],
)
async def test_bad_coordinates_are_400(
    client: httpx.AsyncClient, query: str, path: str, message: str | None
) -> None:
    admin = await sign_up_admin(client)
    response = await client.get(f"/map/reverse-geocode?{query}", headers=admin.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Validation failed"
    assert body["errors"][0]["path"] == [path]
    if message:
        assert body["errors"][0]["message"] == message
