"""Shared links: the owner's CRUD, the key/slug credential and its password gate, what a link opens
(exactly its assets or its album's), download and upload rights, and showMetadata=false leaking no
EXIF, place, position or file name through any route a link reaches."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.dialects.postgresql import insert

from albumen.models import AssetExif
from albumen.shared_links.endpoints import share_page_tags
from albumen.web.service import UNTAGGED_SHARE, ShareRef
from tests.support.assets import fake_jpeg, upload_asset, upload_id
from tests.support.jobs import settle
from tests.support.users import LoggedIn, create_user, sign_up_admin

NO_SUCH_ID = "4a4c7f0e-93b1-4c31-9d34-2f1b1f4b8a55"
PARIS = (48.8566, 2.3522)
SECRET_NAME = "secret-holiday"
GUEST = LoggedIn(user_id="", email="", token="")  # no session: the share key is the only credential


async def _people(client: httpx.AsyncClient) -> tuple[LoggedIn, LoggedIn]:
    admin = await sign_up_admin(client)
    alice = await create_user(client, admin, "alice@example.com", name="Alice")
    bob = await create_user(client, admin, "bob@example.com", name="Bob")
    return alice, bob


async def _photo(client: httpx.AsyncClient, app: Any, who: LoggedIn, name: str = SECRET_NAME) -> str:
    """An upload with a camera, a place and a position in its EXIF row."""
    seed = uuid.uuid4().hex
    asset_id = await upload_id(client, who, f"{name}-{seed}.jpg", fake_jpeg(seed))
    await settle(app)  # the metadata job would overwrite what is written below
    values = {
        "asset_id": uuid.UUID(asset_id),
        "latitude": PARIS[0],
        "longitude": PARIS[1],
        "city": "Paris",
        "country": "France",
        "make": "Canon",
    }
    async with app.state.container.database.unit_of_work() as db:
        statement = insert(AssetExif).values(**values)
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=[AssetExif.asset_id],
                set_={k: statement.excluded[k] for k in values if k != "asset_id"},
            )
        )
    return asset_id


async def _link(client: httpx.AsyncClient, who: LoggedIn, **body: Any) -> dict[str, Any]:
    response = await client.post("/shared-links", headers=who.headers, json=body)
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


async def _album(client: httpx.AsyncClient, who: LoggedIn, asset_ids: list[str]) -> str:
    response = await client.post(
        "/albums", headers=who.headers, json={"albumName": "Holiday", "assetIds": asset_ids}
    )
    assert response.status_code == 201, response.text
    album_id: str = response.json()["id"]
    return album_id


def _leaks(text: str) -> list[str]:
    """Which of the photo's secrets a response body shows."""
    secrets = [SECRET_NAME, "Paris", "France", "Canon", "48.85", "2.35", "originalPath", "exifInfo"]
    return [secret for secret in secrets if secret in text]


async def test_owner_creates_lists_edits_and_deletes_links(client: httpx.AsyncClient) -> None:
    alice, bob = await _people(client)
    photo = await upload_id(client, alice, "a.jpg")
    album = await _album(client, alice, [photo])

    missing_album = await client.post("/shared-links", headers=alice.headers, json={"type": "ALBUM"})
    assert (missing_album.status_code, missing_album.json()["message"]) == (400, "Invalid albumId")
    no_assets = await client.post("/shared-links", headers=alice.headers, json={"type": "INDIVIDUAL"})
    assert (no_assets.status_code, no_assets.json()["message"]) == (400, "Invalid assetIds")
    # Bob cannot share Alice's album or photo.
    foreign = await client.post(
        "/shared-links", headers=bob.headers, json={"type": "INDIVIDUAL", "assetIds": [photo]}
    )
    assert foreign.json() == {"message": "Not found or no asset.share access"}

    by_album = await _link(client, alice, type="ALBUM", albumId=album, slug="holiday")
    single = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], showMetadata=False)
    assert by_album["album"]["id"] == album
    assert by_album["album"]["shared"] is True
    assert by_album["userId"] == alice.user_id
    assert by_album["allowUpload"] is True
    assert len(by_album["key"]) == 67
    assert "=" not in by_album["key"]
    # Without metadata the original (whose bytes carry it) is not offered for download either.
    assert (single["showMetadata"], single["allowDownload"]) == (False, False)
    assert [asset["id"] for asset in single["assets"]] == [photo]

    clash = await client.post(
        "/shared-links", headers=alice.headers, json={"type": "ALBUM", "albumId": album, "slug": "holiday"}
    )
    assert clash.json() == {"message": "Failed to save shared link"}

    listed = await client.get("/shared-links", headers=alice.headers)
    assert {link["id"] for link in listed.json()} == {by_album["id"], single["id"]}
    filtered = await client.get("/shared-links", headers=alice.headers, params={"albumId": album})
    assert [link["id"] for link in filtered.json()] == [by_album["id"]]
    assert (await client.get("/shared-links", headers=bob.headers)).json() == []
    other = await client.get(f"/shared-links/{by_album['id']}", headers=bob.headers)
    assert (other.status_code, other.json()["message"]) == (400, "Shared link not found")

    edited = await client.patch(
        f"/shared-links/{by_album['id']}", headers=alice.headers, json={"description": "Summer"}
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["description"], edited.json()["slug"]) == ("Summer", "holiday")  # slug kept

    # Download stays off while metadata is hidden, as at creation.
    reopened = await client.patch(
        f"/shared-links/{single['id']}", headers=alice.headers, json={"allowDownload": True}
    )
    assert (reopened.json()["allowDownload"], reopened.json()["showMetadata"]) == (False, False)
    shown = await client.patch(
        f"/shared-links/{single['id']}",
        headers=alice.headers,
        json={"allowDownload": True, "showMetadata": True, "expiresAt": None},
    )
    assert (shown.json()["allowDownload"], shown.json()["expiresAt"]) == (True, None)

    bobs_delete = await client.delete(f"/shared-links/{by_album['id']}", headers=bob.headers)
    assert bobs_delete.status_code == 400
    assert (await client.delete(f"/shared-links/{by_album['id']}", headers=alice.headers)).status_code == 204
    gone = await client.get(f"/shared-links/me?key={by_album['key']}")
    assert (gone.status_code, gone.json()) == (401, {"message": "Invalid share key"})


async def test_individual_link_assets_answer_per_id(client: httpx.AsyncClient) -> None:
    alice, bob = await _people(client)
    first = await upload_id(client, alice, "1.jpg")
    second = await upload_id(client, alice, "2.jpg")
    bobs = await upload_id(client, bob, "b.jpg")
    link = await _link(client, alice, type="INDIVIDUAL", assetIds=[first])
    album_link = await _link(client, alice, type="ALBUM", albumId=await _album(client, alice, []))

    added = await client.put(
        f"/shared-links/{link['id']}/assets",
        headers=alice.headers,
        json={"assetIds": [first, second, bobs, second]},
    )
    assert added.status_code == 200, added.text
    assert added.json() == [
        {"assetId": first, "success": False, "error": "duplicate"},
        {"assetId": second, "success": True},
        {"assetId": bobs, "success": False, "error": "no_permission"},
        {"assetId": second, "success": False, "error": "duplicate"},
    ]
    removed = await client.request(
        "DELETE",
        f"/shared-links/{link['id']}/assets",
        headers=alice.headers,
        json={"assetIds": [first, bobs]},
    )
    assert removed.json() == [
        {"assetId": first, "success": True},
        {"assetId": bobs, "success": False, "error": "not_found"},
    ]
    mine = await client.get("/shared-links/me", params={"key": link["key"]})
    assert [asset["id"] for asset in mine.json()["assets"]] == [second]

    wrong_type = await client.put(
        f"/shared-links/{album_link['id']}/assets", headers=alice.headers, json={"assetIds": [second]}
    )
    assert (wrong_type.status_code, wrong_type.json()["message"]) == (400, "Invalid shared link type")
    # The link itself may not change its assets.
    as_guest = await client.request(
        "DELETE",
        f"/shared-links/{link['id']}/assets",
        params={"key": link["key"]},
        json={"assetIds": [second]},
    )
    assert as_guest.status_code == 403


async def test_key_slug_expiry_and_the_routes_a_link_may_call(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    photo = await upload_id(client, alice, "a.jpg")
    link = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], slug="my-photo")

    for credential in (
        {"params": {"key": link["key"]}},
        {"params": {"slug": "my-photo"}},
        {"headers": {"x-immich-share-key": link["key"]}},
        {"headers": {"x-immich-share-slug": "my-photo"}},
        {"params": {"key": bytes.fromhex(_hex(link["key"])).hex()}},  # the old hex form
    ):
        mine = await client.get("/shared-links/me", **credential)
        assert mine.status_code == 200, (credential, mine.text)
        assert mine.json()["id"] == link["id"]

    bad_key = await client.get("/shared-links/me", params={"key": link["key"] + "foo"})
    assert (bad_key.status_code, bad_key.json()) == (401, {"message": "Invalid share key"})
    bad_slug = await client.get("/shared-links/me", params={"slug": "nope"})
    assert (bad_slug.status_code, bad_slug.json()) == (401, {"message": "Invalid share slug"})
    # A session is not a link: /shared-links/me is for link holders only.
    assert (await client.get("/shared-links/me", headers=alice.headers)).status_code == 403
    # Only the operations marked shared_link_auth=yes in operations.tsv.
    for method, path in (("GET", "/albums"), ("GET", "/users/me"), ("GET", "/shared-links")):
        refused = await client.request(method, path, params={"key": link["key"]})
        assert refused.status_code == 403, (path, refused.text)

    expired = await _link(
        client,
        alice,
        type="INDIVIDUAL",
        assetIds=[photo],
        expiresAt=(datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    )
    old = await client.get(f"/assets/{photo}", params={"key": expired["key"]})
    assert (old.status_code, old.json()) == (401, {"message": "Invalid share key"})


def _hex(key: str) -> str:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).hex()


async def test_password_gate_and_its_cookie(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    photo = await upload_id(client, alice, "a.jpg")
    link = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], password="foo")
    key = {"key": link["key"]}
    open_link = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo])

    locked = await client.get("/shared-links/me", params=key)
    assert (locked.status_code, locked.json()) == (401, {"message": "Password required"})
    # The key alone opens nothing else either.
    thumbnail = await client.get(f"/assets/{photo}/thumbnail", params=key)
    assert (thumbnail.status_code, thumbnail.json()) == (401, {"message": "Password required"})

    wrong = await client.post("/shared-links/login", params=key, json={"password": "bar"})
    assert (wrong.status_code, wrong.json()) == (401, {"message": "Invalid password"})
    no_password = await client.post(
        "/shared-links/login", params={"key": open_link["key"]}, json={"password": "x"}
    )
    assert no_password.json() == {"message": "Shared link is not password protected"}

    login = await client.post("/shared-links/login", params=key, json={"password": "foo"})
    assert login.status_code == 201, login.text
    assert login.json()["id"] == link["id"]
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("immich_shared_link_token=")
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    token = login.cookies["immich_shared_link_token"].strip('"')
    unlocked = await client.get(
        "/shared-links/me", params=key, headers={"cookie": f"immich_shared_link_token=other,{token}"}
    )
    assert unlocked.status_code == 200, unlocked.text
    asset = await client.get(
        f"/assets/{photo}", params=key, headers={"cookie": f"immich_shared_link_token={token}"}
    )
    assert asset.status_code == 200, asset.text
    # The proof is of this password: once the owner changes it, the old cookie opens nothing.
    await client.patch(f"/shared-links/{link['id']}", headers=alice.headers, json={"password": "new"})
    stale = await client.get(
        "/shared-links/me", params=key, headers={"cookie": f"immich_shared_link_token={token}"}
    )
    assert stale.status_code == 401


async def test_a_link_opens_exactly_what_it_shares(client: httpx.AsyncClient) -> None:
    alice, bob = await _people(client)
    shared, private = await upload_id(client, alice, "s.jpg"), await upload_id(client, alice, "p.jpg")
    in_album = await upload_id(client, alice, "in-album.jpg")
    album = await _album(client, alice, [in_album])
    other_album = await _album(client, alice, [private])
    single = await _link(client, alice, type="INDIVIDUAL", assetIds=[shared], allowDownload=False)
    by_album = await _link(client, alice, type="ALBUM", albumId=album)

    single_key, album_key = {"key": single["key"]}, {"key": by_album["key"]}
    assert (await client.get(f"/assets/{shared}", params=single_key)).status_code == 200
    for asset_id in (private, in_album):
        refused = await client.get(f"/assets/{asset_id}", params=single_key)
        assert refused.json() == {"message": "Not found or no asset.read access"}
    assert (await client.get(f"/assets/{in_album}", params=album_key)).status_code == 200
    assert (await client.get(f"/assets/{private}", params=album_key)).status_code == 400
    assert (await client.get(f"/albums/{album}", params=album_key)).status_code == 200
    assert (await client.get(f"/albums/{other_album}", params=album_key)).status_code == 400
    assert (await client.get(f"/albums/{album}", params=single_key)).status_code == 400
    # A link never names the owner of what it shows.
    assert (await client.get(f"/assets/{shared}", params=single_key)).json().get("owner") is None
    assert (await client.get(f"/assets/{shared}", headers=alice.headers)).json()["owner"][
        "id"
    ] == alice.user_id

    # Download only with allowDownload.
    no_download = await client.get(f"/assets/{shared}/original", params=single_key)
    assert no_download.json() == {"message": "Not found or no asset.download access"}
    assert (await client.get(f"/assets/{in_album}/original", params=album_key)).status_code == 200
    info = await client.post("/download/info", params=album_key, json={"albumId": album})
    assert info.status_code == 201, info.text

    buckets = await client.get("/timeline/buckets", params={**album_key, "albumId": album})
    assert buckets.status_code == 200, buckets.text
    assert sum(bucket["count"] for bucket in buckets.json()) == 1
    # The owner's whole timeline is not the album.
    assert (await client.get("/timeline/buckets", params=album_key)).status_code == 400

    # Bob's link to his own album says nothing of Alice's.
    bobs_album = await _album(client, bob, [])
    bobs_link = await _link(client, bob, type="ALBUM", albumId=bobs_album)
    assert (await client.get(f"/albums/{album}", params={"key": bobs_link["key"]})).status_code == 400


async def test_upload_through_a_link(client: httpx.AsyncClient) -> None:
    alice, _ = await _people(client)
    album = await _album(client, alice, [])
    by_album = await _link(client, alice, type="ALBUM", albumId=album, allowUpload=True)
    read_only = await _link(client, alice, type="ALBUM", albumId=album, allowUpload=False)
    first = await upload_id(client, alice, "first.jpg")
    single = await _link(client, alice, type="INDIVIDUAL", assetIds=[first], allowUpload=True)

    uploaded = await upload_asset(client, GUEST, "guest.jpg", headers={"x-immich-share-key": by_album["key"]})
    asset_id = uploaded.json()["id"]
    owned = await client.get(f"/assets/{asset_id}", headers=alice.headers)
    assert owned.json()["ownerId"] == alice.user_id
    album_now = await client.get(f"/albums/{album}", headers=alice.headers)
    assert album_now.json()["assetCount"] == 1

    refused = await upload_asset(
        client, GUEST, "no.jpg", expect=400, headers={"x-immich-share-key": read_only["key"]}
    )
    assert refused.json() == {"message": "Not found or no asset.upload access"}

    into_link = await upload_asset(client, GUEST, "more.jpg", headers={"x-immich-share-key": single["key"]})
    mine = await client.get("/shared-links/me", params={"key": single["key"]})
    assert {asset["id"] for asset in mine.json()["assets"]} == {first, into_link.json()["id"]}


async def test_without_metadata_nothing_leaks(client: httpx.AsyncClient, app: Any) -> None:
    alice, _ = await _people(client)
    photo = await _photo(client, app, alice)
    album = await _album(client, alice, [photo])
    hidden = await _link(client, alice, type="ALBUM", albumId=album, showMetadata=False)
    single = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], showMetadata=False)
    shown = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo])
    key = {"key": hidden["key"]}

    # The same routes with metadata do show the secrets: the checks below can fail.
    with_metadata = await client.get(f"/assets/{photo}", params={"key": shown["key"]})
    assert {"Paris", "Canon", SECRET_NAME} <= set(_leaks(with_metadata.text))

    month = (await client.get("/timeline/buckets", params={**key, "albumId": album})).json()[0]["timeBucket"]
    owner_bucket = await client.get(
        "/timeline/bucket",
        headers=alice.headers,
        params={"albumId": album, "timeBucket": month, "withCoordinates": "true"},
    )
    assert "Paris" in owner_bucket.text
    assert "48.85" in owner_bucket.text
    owner_markers = await client.get(f"/albums/{album}/map-markers", headers=alice.headers)
    assert "48.85" in owner_markers.text

    responses = {
        "asset": await client.get(f"/assets/{photo}", params=key),
        "me (album)": await client.get("/shared-links/me", params=key),
        "me (individual)": await client.get("/shared-links/me", params={"key": single["key"]}),
        "album": await client.get(f"/albums/{album}", params=key),
        "bucket": await client.get(
            "/timeline/bucket",
            params={**key, "albumId": album, "timeBucket": month, "withCoordinates": "true"},
        ),
        "markers": await client.get(f"/albums/{album}/map-markers", params=key),
        "search": await client.post(
            "/search/metadata", params=key, json={"albumIds": [album], "withExif": True}
        ),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 201), (name, response.text)
        assert _leaks(response.text) == [], (name, response.text)

    asset = responses["asset"].json()
    assert asset["id"] == photo
    assert asset["hasMetadata"] is False
    assert "fileCreatedAt" not in asset
    assert "originalFileName" not in asset
    assert responses["me (individual)"].json()["assets"][0]["id"] == photo
    assert responses["markers"].json() == []
    assert responses["search"].json()["assets"]["items"][0]["id"] == photo

    thumbnail = await client.get(f"/assets/{photo}/thumbnail", params=key)
    if thumbnail.status_code == 200:  # the fake JPEG may have no thumbnail; its name is what counts
        assert SECRET_NAME not in thumbnail.headers.get("content-disposition", "")


async def test_opengraph_tags_of_share_pages(client: httpx.AsyncClient, app: Any) -> None:
    alice, _ = await _people(client)
    photo = await upload_id(client, alice, "a.jpg")
    album = await _album(client, alice, [photo])
    container = app.state.container
    by_album = await _link(client, alice, type="ALBUM", albumId=album, slug="trip")
    single = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], description="Look")
    locked = await _link(client, alice, type="INDIVIDUAL", assetIds=[photo], password="pw")

    tags = await share_page_tags(container, ShareRef("key", by_album["key"]), "http://photos.example")
    assert tags is not None
    assert (tags.title, tags.description) == ("Holiday", "1 shared photos & videos")
    assert tags.image_url == f"http://photos.example/api/assets/{photo}/thumbnail?key={by_album['key']}"
    by_slug = await share_page_tags(container, ShareRef("slug", "trip"), "")
    assert by_slug is not None
    assert by_slug.image_url is not None
    assert by_slug.image_url.startswith("https://my.immich.app/api/assets/")
    described = await share_page_tags(container, ShareRef("key", single["key"]), "http://x")
    assert described is not None
    assert (described.title, described.description) == ("Public Share", "Look")
    assert await share_page_tags(container, ShareRef("key", locked["key"]), "http://x") == UNTAGGED_SHARE
    assert await share_page_tags(container, ShareRef("key", "invalid-key"), "http://x") is None
    assert await share_page_tags(container, ShareRef("slug", "nope"), "http://x") is None
