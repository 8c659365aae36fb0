"""/people, /faces and /assets/{id}/ocr over person, asset_face and asset_ocr rows written here
directly (face detection and OCR, which would write them, come with the machine-learning jobs)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from albumen.models import AssetFace, AssetOcr, FaceSearch, Person
from tests.support.assets import upload_id
from tests.support.users import create_user, sign_up_admin


async def _add(app: Any, *rows: Any) -> None:
    async with app.state.container.database.unit_of_work() as session:
        session.add_all(rows)
        await session.flush()


def _face(asset_id: str, person: Person | None, x1: int = 10, **extra: Any) -> AssetFace:
    return AssetFace(
        id=uuid.uuid4(),
        asset_id=uuid.UUID(asset_id),
        person_id=person.id if person else None,
        image_width=800,
        image_height=600,
        bounding_box_x1=x1,
        bounding_box_y1=20,
        bounding_box_x2=x1 + 100,
        bounding_box_y2=140,
        **extra,
    )


def _person(owner_id: str, name: str = "", **extra: Any) -> Person:
    return Person(id=uuid.uuid4(), owner_id=uuid.UUID(owner_id), name=name, **extra)


async def test_empty_library_answers_empty_lists(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_id(client, admin)
    people = await client.get("/people", headers=admin.headers)
    assert people.status_code == 200
    assert people.json() == {"people": [], "total": 0, "hidden": 0, "hasNextPage": False}
    assert (await client.get("/faces", headers=admin.headers, params={"id": asset_id})).json() == []
    assert (await client.get(f"/assets/{asset_id}/ocr", headers=admin.headers)).json() == []


async def test_people_list_filters_orders_and_pages(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    assets = [await upload_id(client, admin, f"p{index}.jpg") for index in range(4)]
    named = _person(admin.user_id, "Zoe", birth_date=date(1990, 5, 6))
    favourite = _person(admin.user_id, "Yann", is_favorite=True)
    unnamed_many = _person(admin.user_id)  # three faces: reaches the default minimum of 3
    unnamed_few = _person(admin.user_id)  # two faces: left out
    hidden = _person(admin.user_id, "Hidden", is_hidden=True)
    faceless = _person(admin.user_id, "Nobody")  # no face on the timeline: left out
    await _add(app, named, favourite, unnamed_many, unnamed_few, hidden, faceless)
    await _add(
        app,
        _face(assets[0], named),
        _face(assets[0], favourite, x1=300),
        *[_face(asset_id, unnamed_many) for asset_id in assets[:3]],
        *[_face(asset_id, unnamed_few) for asset_id in assets[:2]],
        _face(assets[3], hidden),
        _face(assets[1], faceless, is_visible=False),
    )
    body = (await client.get("/people", headers=admin.headers)).json()
    assert [person["id"] for person in body["people"]] == [
        str(favourite.id),
        str(named.id),
        str(unnamed_many.id),
    ]
    assert (body["total"], body["hidden"], body["hasNextPage"]) == (5, 1, False)
    zoe = body["people"][1]
    assert zoe["name"] == "Zoe"
    assert zoe["birthDate"] == "1990-05-06"
    assert zoe["thumbnailPath"] == ""
    assert (zoe["isHidden"], zoe["isFavorite"]) == (False, False)
    assert "color" not in zoe
    assert zoe["updatedAt"]

    with_hidden = (await client.get("/people", headers=admin.headers, params={"withHidden": "true"})).json()
    assert [person["id"] for person in with_hidden["people"]][-1] == str(hidden.id)
    first_page = (await client.get("/people", headers=admin.headers, params={"size": 2})).json()
    assert [person["id"] for person in first_page["people"]] == [str(favourite.id), str(named.id)]
    assert first_page["hasNextPage"] is True
    second_page = (await client.get("/people", headers=admin.headers, params={"size": 2, "page": 2})).json()
    assert [person["id"] for person in second_page["people"]] == [str(unnamed_many.id)]
    assert second_page["hasNextPage"] is False

    # Trashing the asset takes its faces off the list and out of the counts.
    await client.request("DELETE", "/assets", headers=admin.headers, json={"ids": [assets[3]]})
    after = (await client.get("/people", headers=admin.headers, params={"withHidden": True})).json()
    assert (after["total"], after["hidden"]) == (4, 0)


async def test_person_get_statistics_update_and_thumbnail(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    assets = [await upload_id(client, admin, f"s{index}.jpg") for index in range(3)]
    person = _person(admin.user_id, "Ann")
    await _add(app, person)
    await _add(app, _face(assets[0], person), _face(assets[0], person, x1=400), _face(assets[1], person))
    got = await client.get(f"/people/{person.id}", headers=admin.headers)
    assert got.status_code == 200
    assert got.json()["name"] == "Ann"
    statistics = await client.get(f"/people/{person.id}/statistics", headers=admin.headers)
    assert statistics.json() == {"assets": 2}  # two faces on one asset count once

    before = got.json()["updatedAt"]
    updated = await client.put(
        f"/people/{person.id}",
        headers=admin.headers,
        json={"name": "Anna", "birthDate": "1980-01-02", "isFavorite": True, "featureFaceAssetId": assets[1]},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["birthDate"], body["isFavorite"], body["isHidden"]) == (
        "Anna", "1980-01-02", True, False,
    )  # fmt: skip
    assert body["updatedAt"] > before
    async with app.state.container.database.unit_of_work() as session:
        stored = await session.get(Person, person.id)
        assert stored is not None
        faces_on_asset = await client.get("/faces", headers=admin.headers, params={"id": assets[1]})
        assert str(stored.face_asset_id) == faces_on_asset.json()[0]["id"]
        assert stored.update_id != person.update_id

    not_his = await client.put(
        f"/people/{person.id}", headers=admin.headers, json={"featureFaceAssetId": assets[2]}
    )
    assert not_his.status_code == 400
    assert not_his.json()["message"] == "Invalid assetId for feature face or asset is offline"
    future = await client.put(f"/people/{person.id}", headers=admin.headers, json={"birthDate": "2999-01-01"})
    assert future.status_code == 400
    cleared = await client.put(f"/people/{person.id}", headers=admin.headers, json={"birthDate": None})
    assert cleared.json()["birthDate"] is None

    no_thumbnail = await client.get(f"/people/{person.id}/thumbnail", headers=admin.headers)
    assert no_thumbnail.status_code == 404
    assert no_thumbnail.json()["message"] == "Not Found"
    key = f"{admin.user_id}/people/{person.id}.jpeg"
    thumbnails = app.state.container.storage["thumbnails"]

    async def jpeg() -> Any:
        yield b"\xff\xd8\xff\xe0person"

    await thumbnails.write(key, jpeg())
    async with app.state.container.database.unit_of_work() as session:
        stored = await session.get(Person, person.id)
        assert stored is not None
        stored.thumbnail_path = key
    thumbnail = await client.get(f"/people/{person.id}/thumbnail", headers=admin.headers)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content == b"\xff\xd8\xff\xe0person"


async def test_bulk_update_reports_each_person(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    mine = _person(admin.user_id, "Mine")
    theirs = _person(user.user_id, "Theirs")
    await _add(app, mine, theirs)
    response = await client.put(
        "/people",
        headers=admin.headers,
        json={"people": [{"id": str(mine.id), "isHidden": True}, {"id": str(theirs.id), "name": "Taken"}]},
    )
    assert response.status_code == 200
    assert response.json() == [
        {"id": str(mine.id), "success": True},
        {"id": str(theirs.id), "success": False, "error": "unknown"},
    ]
    assert (await client.get(f"/people/{mine.id}", headers=admin.headers)).json()["isHidden"] is True
    assert (await client.get(f"/people/{theirs.id}", headers=user.headers)).json()["name"] == "Theirs"


async def test_create_and_delete_people(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_id(client, admin)
    created = await client.post("/people", headers=admin.headers, json={"name": "New", "color": "#ff0000"})
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["color"]) == ("New", "#ff0000")
    person_id = created.json()["id"]
    async with app.state.container.database.unit_of_work() as session:
        person = await session.get(Person, uuid.UUID(person_id))
        face = _face(asset_id, person)
        session.add(face)
    assert (await client.delete(f"/people/{person_id}", headers=admin.headers)).status_code == 204
    gone = await client.get(f"/people/{person_id}", headers=admin.headers)
    assert gone.status_code == 400
    faces = (await client.get("/faces", headers=admin.headers, params={"id": asset_id})).json()
    assert [(item["id"], item["person"]) for item in faces] == [(str(face.id), None)]  # the face stays
    other = (await client.post("/people", headers=admin.headers, json={})).json()
    bulk = await client.request("DELETE", "/people", headers=admin.headers, json={"ids": [other["id"]]})
    assert bulk.status_code == 204
    assert (await client.get(f"/people/{other['id']}", headers=admin.headers)).status_code == 400


async def test_faces_and_ocr_of_an_asset(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_id(client, admin)
    person = _person(admin.user_id, "Bo")
    await _add(app, person)
    right, left = _face(asset_id, person, x1=500), _face(asset_id, None, x1=5, source_type="manual")
    hidden_face = _face(asset_id, person, x1=50, is_visible=False)
    ocr = AssetOcr(
        id=uuid.uuid4(), asset_id=uuid.UUID(asset_id), x1=0.1, y1=0.2, x2=0.5, y2=0.2, x3=0.5, y3=0.3,
        x4=0.1, y4=0.3, box_score=0.75, text_score=0.5, text="Hello",
    )  # fmt: skip
    hidden_ocr = AssetOcr(
        id=uuid.uuid4(), asset_id=uuid.UUID(asset_id), x1=0, y1=0, x2=0, y2=0, x3=0, y3=0, x4=0, y4=0,
        box_score=0, text_score=0, text="gone", is_visible=False,
    )  # fmt: skip
    await _add(app, right, left, hidden_face, ocr, hidden_ocr)

    faces = (await client.get("/faces", headers=admin.headers, params={"id": asset_id})).json()
    assert [face["id"] for face in faces] == [str(left.id), str(right.id)]  # left to right
    assert faces[0] == {
        "id": str(left.id), "imageWidth": 800, "imageHeight": 600, "boundingBoxX1": 5, "boundingBoxY1": 20,
        "boundingBoxX2": 105, "boundingBoxY2": 140, "sourceType": "manual", "person": None,
    }  # fmt: skip
    assert faces[1]["person"]["id"] == str(person.id)
    assert faces[1]["person"]["name"] == "Bo"
    assert faces[1]["sourceType"] == "machine-learning"

    rows = (await client.get(f"/assets/{asset_id}/ocr", headers=admin.headers)).json()
    assert rows == [
        {
            "id": str(ocr.id), "assetId": asset_id, "x1": 0.1, "y1": 0.2, "x2": 0.5, "y2": 0.2, "x3": 0.5,
            "y3": 0.3, "x4": 0.1, "y4": 0.3, "boxScore": 0.75, "textScore": 0.5, "text": "Hello",
        }
    ]  # fmt: skip


async def test_another_users_people_and_assets_are_out_of_reach(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    asset_id = await upload_id(client, admin)
    person = _person(admin.user_id, "Private")
    await _add(app, person)
    await _add(app, _face(asset_id, person))
    for path in (f"/people/{person.id}", f"/people/{person.id}/statistics", f"/people/{person.id}/thumbnail"):
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 400, path
        assert response.json()["message"] == "Not found or no person.read access"
    update = await client.put(f"/people/{person.id}", headers=user.headers, json={"name": "Mine now"})
    assert update.json()["message"] == "Not found or no person.update access"
    delete = await client.delete(f"/people/{person.id}", headers=user.headers)
    assert delete.json()["message"] == "Not found or no person.delete access"
    for path, params in (("/faces", {"id": asset_id}), (f"/assets/{asset_id}/ocr", {})):
        response = await client.get(path, headers=user.headers, params=params)
        assert response.status_code == 400, path
        assert response.json()["message"] == "Not found or no asset.read access"
    listed = (await client.get("/people", headers=user.headers)).json()
    assert (listed["people"], listed["total"]) == ([], 0)
    closest = await client.get("/people", headers=user.headers, params={"closestPersonId": str(person.id)})
    assert closest.status_code == 404
    assert (await client.get(f"/people/{person.id}", headers=admin.headers)).json()["name"] == "Private"


async def test_bad_input_and_unbuilt_routes(client: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(client)
    for params in ({"page": 0}, {"size": 1001}, {"withHidden": "maybe"}, {"closestAssetId": "nope"}):
        assert (await client.get("/people", headers=admin.headers, params=params)).status_code == 400, params
    assert (await client.get("/faces", headers=admin.headers)).status_code == 400
    assert (await client.get("/people/not-a-uuid", headers=admin.headers)).status_code == 400
    assert (await client.post("/people", headers=admin.headers, json={"color": "red"})).status_code == 400
    some_id = str(uuid.uuid4())
    # Face creation, deletion and reassignment wait for face detection: not registered at all.
    for method, path in (
        ("POST", "/faces"), ("PUT", f"/faces/{some_id}"), ("DELETE", f"/faces/{some_id}"),
        ("PUT", f"/people/{some_id}/reassign"),
    ):  # fmt: skip
        response = await client.request(method, path, headers=admin.headers, json={})
        assert response.status_code == 404, (method, path)


async def test_merge_moves_faces_and_fills_gaps(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    user = await create_user(client, admin, "user@immich.cloud")
    assets = [await upload_id(client, admin, f"m{index}.jpg") for index in range(2)]
    primary = _person(admin.user_id, color="#123456")
    named = _person(admin.user_id, "Cleo", birth_date=date(2001, 2, 3))
    theirs = _person(user.user_id, "Theirs")
    await _add(app, primary, named, theirs)
    await _add(app, _face(assets[0], primary), _face(assets[1], named))

    itself = await client.post(
        f"/people/{primary.id}/merge", headers=admin.headers, json={"ids": [str(primary.id)]}
    )
    assert itself.status_code == 400
    assert itself.json()["message"] == "Cannot merge a person into themselves"
    merged = await client.post(
        f"/people/{primary.id}/merge", headers=admin.headers, json={"ids": [str(named.id), str(theirs.id)]}
    )
    assert merged.status_code == 200
    assert merged.json() == [
        {"id": str(named.id), "success": True},
        {"id": str(theirs.id), "success": False, "error": "no_permission"},
    ]
    person = (await client.get(f"/people/{primary.id}", headers=admin.headers)).json()
    assert (person["name"], person["birthDate"], person["color"]) == ("Cleo", "2001-02-03", "#123456")
    assert (await client.get(f"/people/{primary.id}/statistics", headers=admin.headers)).json() == {
        "assets": 2
    }
    assert (await client.get(f"/people/{named.id}", headers=admin.headers)).status_code == 400
    cleared = await client.put(f"/people/{primary.id}", headers=admin.headers, json={"color": None})
    assert "color" not in cleared.json()


def _embedding(*head: float) -> list[float]:
    return [*head, *([0.0] * (512 - len(head)))]


async def test_closest_people_come_first(client: httpx.AsyncClient, app: Any) -> None:
    admin = await sign_up_admin(client)
    asset_id = await upload_id(client, admin)
    near, far, target = (_person(admin.user_id, name) for name in ("Near", "Far", "Target"))
    await _add(app, near, far, target)
    faces = {
        person.name: _face(asset_id, person, x1=index * 100)
        for index, person in enumerate((near, far, target))
    }
    await _add(app, *faces.values())
    await _add(
        app,
        FaceSearch(face_id=faces["Target"].id, embedding=_embedding(1.0, 0.0)),
        FaceSearch(face_id=faces["Near"].id, embedding=_embedding(0.9, 0.1)),
        FaceSearch(face_id=faces["Far"].id, embedding=_embedding(0.0, 1.0)),
    )
    async with app.state.container.database.unit_of_work() as session:
        for person in (near, far, target):
            stored = await session.get(Person, person.id)
            assert stored is not None
            stored.face_asset_id = faces[person.name].id
    by_name = (await client.get("/people", headers=admin.headers)).json()["people"]
    assert [person["name"] for person in by_name] == ["Far", "Near", "Target"]
    closest = await client.get("/people", headers=admin.headers, params={"closestPersonId": str(target.id)})
    assert [person["name"] for person in closest.json()["people"]] == ["Target", "Near", "Far"]
    by_face = await client.get(
        "/people", headers=admin.headers, params={"closestAssetId": str(faces["Far"].id)}
    )
    assert [person["name"] for person in by_face.json()["people"]] == ["Far", "Near", "Target"]
    no_feature = (await client.post("/people", headers=admin.headers, json={"name": "Lone"})).json()
    missing = await client.get("/people", headers=admin.headers, params={"closestPersonId": no_feature["id"]})
    assert missing.status_code == 404
    assert missing.json()["message"] == "Person not found"
