"""How a case's request is made for a caller, and how its answer is judged."""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.integration.isolation.cases import PLACEHOLDER, Case, Operation, example, put, spec
from tests.integration.isolation.world import EXIF_MARKERS, SECRET, World
from tests.support.assets import fake_jpeg

ACCESS_REFUSAL = re.compile(r"^Not found or no [\w.]+ access$")
USER_ROLES = ("stranger", "partner", "viewer", "editor", "link")
PHOTO_MONTH = "2007-12-01"

# What a role may legitimately do with Alice's objects (Immich v3.1.0's rules, CONTRACT.md §10, §11).
# A case named here must succeed for that role; every other case must be refused.
READ_ALICES_ASSETS = {
    "getAssetEdits", "getFaces", "getMainPlaylist", "endSession", "getAssetInfo", "getAssetMetadata",
    "getAssetMetadataByKey", "getAssetOcr", "downloadAsset", "viewAsset", "getDownloadInfo:assetIds",
    "downloadArchive", "getAllAlbums:assetId",
}  # fmt: skip
ANY_USER = {
    "getUser",  # user profiles are visible to every user (sharing dialogs list them)
    "createPartner", "createPartnerDeprecated",  # sharing one's own library with Alice
    "createAlbum:albumUsers[].userId",  # one's own album shared with Alice
    "getAllAlbums:assetId",  # a filter over the caller's own albums: answers [] for a stranger
}  # fmt: skip
ALBUM_MEMBER = READ_ALICES_ASSETS | {
    "getAllAlbums:id", "getAllAlbums:assetId", "getActivities:userId",
    "getAlbumInfo", "getAlbumMapMarkers", "getTimeBucket:albumId", "getTimeBuckets:albumId",
    "getActivities", "getActivities:assetId", "getActivityStatistics", "getActivityStatistics:assetId",
    "createActivity", "createActivity:assetId", "getDownloadInfo:albumId", "searchAssets:albumIds",
    "searchRandom:albumIds", "searchAssetStatistics:albumIds", "searchSmart:albumIds",
}  # fmt: skip
# Answered over the caller's own data, or per id: Immich runs no access check here and neither must
# anything of Alice's show up (judged) or change (the snapshot).
FILTERED = {
    "getAllAlbums:id", "getAllAlbums:assetId", "getNotifications:id", "getAllPeople:closestAssetId",
    "getAllPeople:closestPersonId", "updatePeople", "updatePeople:people[].featureFaceAssetId",
    "createAlbum:assetIds", "createMemory:assetIds", "addAssetsToAlbums", "searchStacks:primaryAssetId",
    "getAllSharedLinks:albumId", "getAllSharedLinks:id", "bulkTagAssets",
    "getActivities:assetId", "getActivityStatistics:assetId",  # within an album the caller may read
    *(f"{search}:{field}" for search in ("searchAssets", "searchRandom", "searchLargeAssets",
                                         "searchAssetStatistics", "searchSmart")
      for field in ("id", "libraryId", "personIds", "tagIds", "albumIds")
      if (search, field) != ("searchAssets", "albumIds")),
}  # fmt: skip
# Immich's own words when the object is another user's (its services look up by owner first).
REFUSALS = {
    "API Key not found", "Partner not found",
    "Shared link not found",
    "Asset not found in album",  # a comment on an asset outside the album (Immich does not even check)
    "Invalid album thumbnail",  # an editor may update the album, not with an asset outside it
    "Shared link access is only allowed in combination with an albumIds filter",
    "Smart search is not enabled",  # before any id is looked at; no CLIP model here
    "Live photo video must be a video",  # Immich checks the type before the owner: an oracle, as there
    "Person not found",  # closestPersonId: Immich's 404, asked of people without a face
}  # fmt: skip
# Albumen keeps these to admins (and the user itself), where Immich lets any user read them.
ADMIN_HERE = {"getUserCalendarHeatmapAdmin"}
# Alice's photo is no video and has no face; she has no profile picture: 404 for the owner too.
NOT_A_VIDEO = {"playAssetVideo", "getMediaPlaylist", "getSegment", "getPersonThumbnail", "getProfileImage"}
# Allowed, and answered by a feature that is off here (no transcoding, no CLIP model, no faces found).
SWITCHED_OFF = {"Real-time transcoding is not enabled", "Smart search is not enabled", "Person not found"}
# An earlier allowed case did the same thing already.
ALREADY_DONE = {"Partner already exists"}
ALLOWED: dict[str, set[str]] = {
    "stranger": ANY_USER,
    # a partner may put Alice's assets in its own albums and memories (Immich's asset.share), and says
    # whether Alice's library shows in its own timeline
    "partner": ANY_USER | READ_ALICES_ASSETS | {
        "getTimeBucket:userId", "getTimeBuckets:userId", "createAlbum:assetIds", "createMemory:assetIds",
        "updatePartner", "createSharedLink:assetIds",  # Immich's asset.share includes partners
    },
    "viewer": ANY_USER | ALBUM_MEMBER,
    # an editor adds and removes album assets and renames the album; Alice's own assets it cannot add
    "editor": ANY_USER | ALBUM_MEMBER | {
        "updateAlbumInfo", "updateAlbumInfo:albumThumbnailAssetId", "addAssetsToAlbum",
        "removeAssetFromAlbum", "addAssetsToAlbums", "addUsersToAlbum", "updateAlbumUser",
        "removeUserFromAlbum", "createSharedLink:albumId",  # Immich's album.share: owner or editor
    },
    # an album link with downloads allowed: its album and the album's assets, read-only
    "link": {
        "getAlbumInfo", "getAssetInfo", "viewAsset", "downloadAsset", "getDownloadInfo:albumId",
        "getDownloadInfo:assetIds", "downloadArchive", "getTimeBucket:albumId", "getTimeBuckets:albumId",
        "getAlbumMapMarkers", "getMainPlaylist", "endSession", "searchAssets:albumIds",
    },
    "owner": set(),  # the owner runs the reading cases only, and every one must succeed
    "anonymous": set(),
    "api_key": set(),
}  # fmt: skip


def is_file_operation(operation: Operation) -> bool:
    """Immich answers every failure of a file endpoint with 404 (CONTRACT.md §0)."""
    op = spec()["paths"][operation.path][operation.method.lower()]
    for status, response in op.get("responses", {}).items():
        if status.startswith("2"):
            return any(not kind.endswith("json") for kind in response.get("content", {}))
    return False


@dataclass
class Request:
    method: str
    url: str
    params: dict[str, Any]
    json_body: Any = None
    form: dict[str, str] | None = None

    def text(self) -> str:
        return f"{self.url} {json.dumps(self.params)} {json.dumps(self.json_body)} {json.dumps(self.form)}"

    async def send(self, client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        if self.form is not None:
            files = {"assetData": ("probe.jpg", io.BytesIO(fake_jpeg(str(uuid.uuid4()))), "image/jpeg")}
            return await client.request(
                self.method, self.url, params=self.params, headers=headers, data=self.form, files=files
            )
        return await client.request(
            self.method, self.url, params=self.params, headers=headers, json=self.json_body
        )


# Values the schema alone does not make valid enough to reach the access check.
PARAMETERS = {"timeBucket": PHOTO_MONTH, "filename": "init.mp4", "key": "mobile-app"}
BODIES: dict[str, dict[str, Any]] = {
    "runAssetJobs": {"name": "regenerate-thumbnail"},
    "createActivity": {"type": "comment", "comment": "isolation-probe"},
    "createSharedLink:albumId": {"type": "ALBUM"},
    "createSharedLink:assetIds": {"type": "INDIVIDUAL"},
    "updateMemory": {"isSaved": True},
}


def _value(parameter: dict[str, Any]) -> Any:
    if parameter["name"] in PARAMETERS:
        return PARAMETERS[parameter["name"]]
    return example(parameter.get("schema", {}))


def request_for(case: Case, world: World) -> Request:
    operation = case.operation
    by_place = {(slot.where, slot.name): slot for slot in case.slots}
    path_values: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for parameter in operation.parameters:
        place, name = parameter["in"], parameter["name"]
        if (place, name) in by_place:
            value: Any = world.id_of(by_place[(place, name)].kind)
        elif place == "path" or parameter.get("required"):
            value = _value(parameter)
        else:
            continue
        if place == "path":
            path_values[name] = value
        elif place == "query":
            params[name] = str(value).lower() if isinstance(value, bool) else value
    url = PLACEHOLDER.sub(lambda match: str(path_values[match.group(1)]), operation.path)
    body: Any = None
    if operation.body_schema is not None:
        body = example(operation.body_schema)
        body.update(BODIES.get(operation.operation_id, {}))
        body.update(BODIES.get(case.base, {}))
        for slot in case.slots:
            if slot.where == "body":
                put(body, operation.body_schema, slot.name, world.ids_of(slot.kind))
    if operation.body_type == "multipart/form-data":
        fields = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in body.items() if k != "assetData"
        }
        return Request(operation.method, url, params, form=fields)
    return Request(operation.method, url, params, json_body=body)


def leaks(response: httpx.Response, request: Request, world: World) -> list[str]:
    """Alice's names, EXIF and ids (those the caller did not send) found in an answer."""
    text = response.text
    sent = request.text()
    found = [marker for marker in (SECRET, *EXIF_MARKERS) if marker in text]
    found += [f"id {secret}" for secret in world.secrets if secret in text and secret not in sent]
    return found


def _refused_per_id(response: httpx.Response) -> bool:
    """Immich's bulk answers: 200 with `success: false` for every id (the album itself may be allowed)."""
    try:
        body = response.json()
    except ValueError:
        return False
    items = body if isinstance(body, list) else [body]
    return bool(items) and all(isinstance(item, dict) and item.get("success") is False for item in items)


def refusal_problem(operation: Operation, role: str, response: httpx.Response) -> str | None:
    """None when the answer is the contract's refusal for this caller; otherwise what is wrong."""
    status = response.status_code
    try:
        message = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        message = ""
    if role == "anonymous":
        return None if status == 401 else f"expected 401, got {status} {message!r}"
    if role == "api_key" or operation.admin_only or operation.operation_id in ADMIN_HERE:
        return None if status == 403 else f"expected 403, got {status} {message!r}"
    if role == "link" and not operation.shared_link:
        return None if status == 403 else f"expected 403, got {status} {message!r}"
    if status == 200 and _refused_per_id(response):
        return None
    if status == 404 and (is_file_operation(operation) or message in REFUSALS):
        return None
    if status == 400 and message == "Validation failed":
        return f"the probe itself is invalid: {response.text[:300]}"
    if status == 400 and (ACCESS_REFUSAL.match(message) or message in REFUSALS):
        return None
    if status in {400, 403}:
        return f"refused with an unexpected answer: {status} {message!r}"
    return f"not refused: {status} {response.text[:200]}"
