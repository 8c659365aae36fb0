"""The victim's world and the callers around it, built through the public API as clients would.

Alice (user A) owns one of everything the server can make; Bob is a stranger, Pat a partner Alice shares
with, Vera a viewer and Ed an editor of Alice's album. Objects whose operations a branch has not built yet
(shared links, tags, activities, ...) are made when their route answers, and otherwise stand in as a
random id and are reported: `World.missing` names them. Everything Alice names carries SECRET, so a
response that quotes any of it is found by a plain substring search.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import ASSETS_DIR
from tests.support.assets import fake_jpeg, upload_id
from tests.support.users import LoggedIn, create_user, login

SECRET = "alicesecret"
PHOTO = ASSETS_DIR / "albums/nature/cyclamen_persicum.jpg"  # FUJIFILM FinePix S3Pro, 2007
# real photos for the assets a partner must not reach, so their thumbnails exist for their owner
VARIANT_PHOTOS = {
    "archived": ASSETS_DIR / "albums/nature/el_torcal_rocks.jpg",  # SONY DSLR-A550
    "locked": ASSETS_DIR / "albums/nature/notocactus_minimus.jpg",  # PENTAX K10D
    "trashed": ASSETS_DIR / "albums/nature/tanners_ridge.jpg",  # NIKON D750
}
EXIF_MARKERS = ("FinePix", "FUJIFILM", "DSLR-A550", "PENTAX", "NIKON")
LINK_PASSWORD = f"{SECRET}-link-password"
PROCESSED = 90.0  # metadata and thumbnails of one photo on a loaded machine


@dataclass
class Caller:
    """How a role authenticates: a session, an API key, a shared link's key, or nothing."""

    role: str
    headers: dict[str, str]
    user_id: str | None = None


@dataclass
class World:
    alice: LoggedIn
    callers: dict[str, Caller]
    ids: dict[str, str]  # kind -> the id of Alice's object of that kind
    secrets: set[str]  # every id of Alice's objects
    missing: dict[str, str] = field(default_factory=dict)  # kind -> why it stands in as a random id
    linked: set[str] = field(default_factory=set)  # ids the shared link reaches
    lists: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids for a list of that kind

    def id_of(self, kind: str) -> str:
        if kind not in self.ids:
            self.ids[kind] = str(uuid.uuid4())
            self.missing.setdefault(kind, "no way to make one through the API")
        return self.ids[kind]

    def ids_of(self, kind: str) -> list[str]:
        return self.lists.get(kind) or [self.id_of(kind)]


async def _made(response: httpx.Response, kind: str, missing: dict[str, str]) -> dict[str, Any] | None:
    if response.status_code in {200, 201}:
        body: dict[str, Any] = response.json()
        return body
    missing[kind] = (
        f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:120]}"
    )
    return None


async def _processed(client: httpx.AsyncClient, alice: LoggedIn, asset_id: str) -> None:
    """The photo's EXIF is read and its thumbnail made, so readers that may see them get them."""
    deadline = asyncio.get_running_loop().time() + PROCESSED
    while True:
        info = (await client.get(f"/assets/{asset_id}", headers=alice.headers)).json()
        thumbnail = await client.get(f"/assets/{asset_id}/thumbnail", headers=alice.headers)
        if (info.get("exifInfo") or {}).get("make") and thumbnail.status_code == 200:
            return
        assert asyncio.get_running_loop().time() < deadline, f"photo not processed: {info}"
        await asyncio.sleep(0.2)


async def build_world(client: httpx.AsyncClient, admin: LoggedIn, tag: str) -> World:
    """One world for all roles; the roles whose allowed calls change it run last (see ROLES)."""
    users: dict[str, LoggedIn] = {}
    for name in ("alice", "bob", "pat", "vera", "ed", "zoe"):
        users[name] = await create_user(client, admin, f"{name}-{tag}@example.com", name=f"{name}-{tag}")
    alice = users["alice"]
    ids: dict[str, str] = {"user": alice.user_id}
    missing: dict[str, str] = {}
    headers = alice.headers

    photo = await upload_id(client, alice, f"{SECRET}-photo.jpg", PHOTO.read_bytes())
    second = await upload_id(client, alice, f"{SECRET}-second.jpg", fake_jpeg(f"{tag}-second"))
    third = await upload_id(client, alice, f"{SECRET}-third.jpg", fake_jpeg(f"{tag}-third"))
    ids["asset"] = photo
    response = await client.put(f"/assets/{photo}", headers=headers, json={"description": f"{SECRET} lake"})
    assert response.status_code == 200, response.text

    # Alice's assets a partner must not reach: archived, locked (behind her PIN) and trashed
    for variant, path in VARIANT_PHOTOS.items():
        ids[f"{variant}_asset"] = await upload_id(client, alice, f"{SECRET}-{variant}.jpg", path.read_bytes())
    for asset_id in (photo, *(ids[f"{variant}_asset"] for variant in VARIANT_PHOTOS)):
        await _processed(client, alice, asset_id)
        response = await client.put(
            f"/assets/{asset_id}/metadata",
            headers=headers,
            json={"items": [{"key": "mobile-app", "value": {"iCloudId": SECRET}}]},
        )
        assert response.status_code == 200, response.text
    response = await client.put(
        f"/assets/{ids['archived_asset']}", headers=headers, json={"visibility": "archive"}
    )
    assert response.status_code == 200, response.text
    response = await client.post("/auth/pin-code", headers=headers, json={"pinCode": "123456"})
    assert response.status_code == 204, response.text
    response = await client.post("/auth/session/unlock", headers=headers, json={"pinCode": "123456"})
    assert response.status_code == 204, response.text
    response = await client.put(
        f"/assets/{ids['locked_asset']}", headers=headers, json={"visibility": "locked"}
    )
    assert response.status_code == 200, response.text
    response = await client.post("/auth/session/lock", headers=headers)
    assert response.status_code == 204, response.text
    response = await client.request(
        "DELETE", "/assets", headers=headers, json={"ids": [ids["trashed_asset"]]}
    )
    assert response.status_code == 204, response.text

    response = await client.post(
        "/albums",
        headers=headers,
        json={
            "albumName": f"{SECRET}-album",
            "description": f"{SECRET} album description",
            "assetIds": [photo, second],
            "albumUsers": [
                {"userId": users["vera"].user_id, "role": "viewer"},
                {"userId": users["ed"].user_id, "role": "editor"},
                {"userId": users["zoe"].user_id, "role": "viewer"},  # whom the album-user cases name
            ],
        },
    )
    assert response.status_code == 201, response.text
    ids["album"] = response.json()["id"]
    ids["album_member"] = users["zoe"].user_id
    response = await client.post("/partners", headers=headers, json={"sharedWithId": users["pat"].user_id})
    assert response.status_code == 201, response.text

    if person := await _made(
        await client.post("/people", headers=headers, json={"name": f"{SECRET}-person"}), "person", missing
    ):
        ids["person"] = person["id"]
    if person := await _made(
        await client.post("/people", headers=headers, json={"name": f"{SECRET}-other"}),
        "other_person",
        missing,
    ):
        ids["other_person"] = person["id"]
    if stack := await _made(
        await client.post("/stacks", headers=headers, json={"assetIds": [second, third]}), "stack", missing
    ):
        ids["stack"] = stack["id"]
    memory_body = {"type": "on_this_day", "data": {"year": 2007}, "memoryAt": "2024-12-06T00:00:00.000Z"}
    if memory := await _made(
        await client.post("/memories", headers=headers, json={**memory_body, "assetIds": [photo]}),
        "memory",
        missing,
    ):
        ids["memory"] = memory["id"]
    if key := await _made(
        await client.post(
            "/api-keys", headers=headers, json={"name": f"{SECRET}-key", "permissions": ["all"]}
        ),
        "api_key",
        missing,
    ):
        ids["api_key"] = key["apiKey"]["id"]
    # a second login: the session object under test; the first one reads Alice's snapshot
    other_session = await login(client, alice.email, "user-password")
    sessions = (await client.get("/sessions", headers=other_session.headers)).json()
    ids["session"] = next(s["id"] for s in sessions if s["current"])
    if notification := await _made(
        await client.post(
            "/admin/notifications",
            headers=admin.headers,
            json={"userId": alice.user_id, "title": f"{SECRET}-note"},
        ),
        "notification",
        missing,
    ):
        ids["notification"] = notification["id"]
    if tag_made := await _made(
        await client.post("/tags", headers=headers, json={"name": f"{SECRET}-tag"}), "tag", missing
    ):
        ids["tag"] = tag_made["id"]
        await client.put(f"/tags/{tag_made['id']}/assets", headers=headers, json={"ids": [photo]})
    if activity := await _made(
        await client.post(
            "/activities",
            headers=headers,
            json={"albumId": ids["album"], "type": "comment", "comment": f"{SECRET} comment"},
        ),
        "activity",
        missing,
    ):
        ids["activity"] = activity["id"]
    callers = {
        "anonymous": Caller("anonymous", {}),
        "stranger": Caller("stranger", users["bob"].headers, users["bob"].user_id),
        "partner": Caller("partner", users["pat"].headers, users["pat"].user_id),
        "viewer": Caller("viewer", users["vera"].headers, users["vera"].user_id),
        "editor": Caller("editor", users["ed"].headers, users["ed"].user_id),
        "owner": Caller("owner", headers, alice.user_id),
    }
    narrow = await client.post(
        "/api-keys", headers=headers, json={"name": f"{SECRET}-narrow", "permissions": ["server.about"]}
    )
    assert narrow.status_code == 201, narrow.text
    callers["api_key"] = Caller("api_key", {"x-api-key": narrow.json()["secret"]}, alice.user_id)
    linked: set[str] = set()
    if link := await _made(
        await client.post(
            "/shared-links",
            headers=headers,
            json={
                "type": "ALBUM",
                "albumId": ids["album"],
                "allowUpload": False,
                "allowDownload": True,
                "showMetadata": True,
                "description": f"{SECRET} link",
            },
        ),
        "shared_link",
        missing,
    ):
        ids["shared_link"] = link["id"]
        callers["link"] = Caller("link", {"x-immich-share-key": link["key"]})
        linked = {ids["album"], photo, second}
    # user ids are no secret: every user may read every user's profile (getUser, searchUsers)
    secrets = (set(ids.values()) | {second, third}) - {alice.user_id, users["zoe"].user_id}
    # lists of ids (a stack needs two); a variant's list holds only assets a partner must not reach
    hidden_from_partners = [ids[f"{variant}_asset"] for variant in VARIANT_PHOTOS]
    lists = {"asset": [photo, second]}
    for index, variant in enumerate(VARIANT_PHOTOS):
        lists[f"{variant}_asset"] = [hidden_from_partners[index], hidden_from_partners[index - 1]]
    return World(alice, callers, ids, secrets, missing, linked, lists)


async def snapshot(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """What Alice sees of her own things; compared before and after the refused calls of a role."""
    headers = world.alice.headers
    reads = [
        "/albums", "/albums?shared=true", "/people?withHidden=true", "/stacks", "/memories", "/api-keys",
        "/sessions", "/notifications", "/partners?direction=shared-by", "/partners?direction=shared-with",
        "/users/me", "/users/me/preferences", "/timeline/buckets", "/trash/restore/assets", "/tags",
        "/shared-links",
    ]  # fmt: skip
    reads += [f"/albums/{world.ids['album']}", f"/assets/{world.ids['asset']}"]
    for kind in ("person", "stack", "memory", "notification", "tag", "shared_link", "api_key"):
        if kind in world.ids and kind not in world.missing:
            reads.append(f"/{kind.replace('_', '-')}s/{world.ids[kind]}".replace("persons", "people"))
    seen: dict[str, Any] = {}
    for path in reads:
        if path == "/trash/restore/assets":
            continue
        response = await client.get(path, headers=headers)
        seen[path] = (response.status_code, response.text)
    response = await client.post(
        "/search/metadata", headers=headers, json={"withDeleted": True, "withExif": True}
    )
    seen["search"] = (response.status_code, response.text)
    return seen
