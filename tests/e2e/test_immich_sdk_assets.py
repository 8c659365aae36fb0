"""A day with assets through the real @immich/sdk (npm) against `albumen serve`.

js/sdk-assets-day.mjs makes the calls (upload, look, edit, favourite and archive in bulk, albums, trash and
restore, empty the trash, delete for good, download an original and a zip, duplicate checks) and writes what
it downloads into a folder; these tests judge every answer and compare the downloaded bytes with the files.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pyvips  # type: ignore[import-untyped]

from tests.conftest import ASSETS_DIR
from tests.e2e.harness import JS_DIR, Node, serving
from tests.support.server import RunningServer

pytestmark = pytest.mark.e2e

EMAIL = "admin@immich.test"
PASSWORD = "a long enough password"
NATURE = ASSETS_DIR / "albums" / "nature"
FALCON = NATURE / "prairie_falcon.jpg"
ROCKS = NATURE / "el_torcal_rocks.jpg"
CYCLAMEN = NATURE / "cyclamen_persicum.jpg"
CACTUS = NATURE / "notocactus_minimus.jpg"
HIDDEN = NATURE / "polemonium_reptans.jpg"
FILES = (FALCON, ROCKS, CYCLAMEN, CACTUS, HIDDEN)


@dataclass(frozen=True)
class Day:
    steps: dict[str, dict[str, Any]]
    ids: dict[str, str]
    downloads: Path

    def value(self, name: str) -> Any:
        outcome = self.outcome(name)
        assert outcome["ok"], f"{name} failed: {outcome}"
        return outcome["value"]

    def outcome(self, name: str) -> dict[str, Any]:
        outcome = self.steps.get(name)
        assert outcome is not None, f"{name} was not reached: {json.dumps(self.steps, indent=1)[:5000]}"
        return outcome

    def status(self, name: str) -> int | None:
        status: int | None = self.outcome(name)["status"]
        return status


def sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def stats(images: int) -> dict[str, int]:
    return {"images": images, "videos": 0, "total": images}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving(tmp_path_factory.mktemp("sdk-assets") / "data") as running:
        yield running
    log = running.log()
    first = log.find("Traceback")
    assert first < 0, log[max(0, first - 500) : first + 3000]


@pytest.fixture(scope="module")
def day(node: Node, server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Day:
    downloads = tmp_path_factory.mktemp("sdk-assets-downloads")
    script = str(JS_DIR / "sdk-assets-day.mjs")
    files = [str(path) for path in FILES]
    args = [str(node.binary), script, server.api, EMAIL, PASSWORD, str(downloads), *files]
    result = node.run(args, timeout=300)
    assert result.returncode == 0, result.describe()
    record = json.loads(result.stdout)
    return Day(record["steps"], record["ids"], downloads)


# --- upload and look -------------------------------------------------------------------------------------


def test_uploads_are_created_each_with_its_own_id(day: Day) -> None:
    names = ("uploadFalcon", "uploadRocks", "uploadCyclamen", "uploadCactus", "uploadHidden")
    for name in names:
        assert day.status(name) == 201, day.outcome(name)
        assert day.value(name)["status"] == "created"
    assert len({day.value(name)["id"] for name in names}) == len(names)


def test_asset_info_describes_the_uploaded_file(day: Day) -> None:
    owner = day.value("signUpAdmin")
    for name, path, created in (("getFalcon", FALCON, "2024-05-01"), ("getRocks", ROCKS, "2024-05-02")):
        info = day.value(name)
        # The falcon came as a File (name in the multipart part), the rocks as a Blob named by `filename`.
        assert info["originalFileName"] == path.name
        assert info["originalMimeType"] == "image/jpeg"
        assert info["type"] == "IMAGE"
        assert info["ownerId"] == owner["id"]
        assert base64.b64decode(info["checksum"]) == sha1(path.read_bytes())
        assert info["exifInfo"]["fileSizeInByte"] == path.stat().st_size
        expected = datetime.fromisoformat(f"{created}T10:00:00+00:00")
        # The client's date until metadata extraction has run, the photo's own date after (as Immich).
        taken = info["exifInfo"].get("dateTimeOriginal")
        assert datetime.fromisoformat(info["fileCreatedAt"]) in {
            expected,
            *([datetime.fromisoformat(taken)] if taken else []),
        }
        assert datetime.fromisoformat(info["fileModifiedAt"]) == expected
        assert (info["isFavorite"], info["isArchived"], info["isTrashed"]) == (False, False, False)
        assert info["visibility"] == "timeline"
    assert day.value("getFalcon")["id"] == day.ids["falcon"]
    assert day.value("getRocks")["id"] == day.ids["rocks"]


def test_asset_info_carries_its_owner(day: Day) -> None:
    """Immich's getAssetInfo loads the owner (`owner: true`) and answers it as a UserResponseDto."""
    owner = day.value("signUpAdmin")
    info = day.value("getFalcon")
    assert info.get("owner") is not None, f"getAssetInfo answered owner={info.get('owner')!r}"
    assert info["owner"]["id"] == owner["id"]
    assert info["owner"]["email"] == EMAIL
    assert info["owner"]["name"] == "Asset Day"


# --- thumbnails and previews ----------------------------------------------------------------------------

IMAGE_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/webp": (b"RIFF", b"WEBP")}


@pytest.mark.parametrize("edited", ["", "Edited"])
def test_thumbnail_and_preview_are_images_smaller_than_the_original(day: Day, edited: str) -> None:
    """edited=true answers the edited version, or the plain one for an asset never edited (as Immich)."""
    original = pyvips.Image.new_from_file(str(FALCON))
    widths = {}
    for size in ("Thumbnail", "Preview"):
        name = f"view{size}{edited}"
        assert day.status(name) == 200, day.outcome(name)
        saved = day.value(name)
        data = (day.downloads / saved["file"]).read_bytes()
        assert saved["type"] in IMAGE_MAGIC, saved
        magic = IMAGE_MAGIC[saved["type"]]
        assert data.startswith(magic[0]), data[:16]
        assert magic[-1] in data[:16], data[:16]
        image = pyvips.Image.new_from_buffer(data, "")
        assert 0 < image.width <= original.width
        assert 0 < image.height <= original.height
        widths[size] = image.width
    assert widths["Thumbnail"] < widths["Preview"]


# --- duplicates ------------------------------------------------------------------------------------------


def test_the_same_bytes_again_are_a_duplicate_of_the_first_upload(day: Day) -> None:
    # The second one only names the falcon's SHA-1 in x-immich-checksum (its body holds other bytes): the
    # server answers from the header before it reads the body.
    for name in ("uploadFalconAgain", "uploadFalconAgainWithChecksumHeader"):
        assert day.status(name) == 200, day.outcome(name)
        assert day.value(name) == {"id": day.ids["falcon"], "status": "duplicate"}


def test_bulk_upload_check_reports_the_uploaded_checksum_as_a_duplicate(day: Day) -> None:
    assert day.status("checkBulkUpload") == 200
    results = {result["id"]: result for result in day.value("checkBulkUpload")["results"]}
    assert set(results) == {"falcon-hex", "falcon-base64", "unseen"}
    for client_id in ("falcon-hex", "falcon-base64"):
        assert results[client_id] == {
            "id": client_id,
            "action": "reject",
            "reason": "duplicate",
            "assetId": day.ids["falcon"],
            "isTrashed": False,
        }
    assert results["unseen"]["action"] == "accept"


def test_an_accepted_checksum_names_no_asset(day: Day) -> None:
    """assetId, isTrashed and reason are optional and not nullable in the spec; Immich leaves them out."""
    (accepted,) = (r for r in day.value("checkBulkUpload")["results"] if r["id"] == "unseen")
    assert accepted == {"id": "unseen", "action": "accept"}


# --- edit, favourite, archive ----------------------------------------------------------------------------


def test_update_asset_sets_description_and_rating(day: Day) -> None:
    for name in ("updateFalcon", "getFalconAfterUpdate"):
        info = day.value(name)
        assert info["id"] == day.ids["falcon"]
        assert info["exifInfo"]["description"] == "A prairie falcon on a post"
        assert info["exifInfo"]["rating"] == 4


def test_bulk_update_favourites_both_and_archives_one(day: Day) -> None:
    assert day.status("favoriteInBulk") == 204
    assert day.status("archiveInBulk") == 204

    falcon = day.value("getFalconAfterBulk")
    assert falcon["isFavorite"] is True
    assert (falcon["visibility"], falcon["isArchived"]) == ("timeline", False)
    assert falcon["exifInfo"]["description"] == "A prairie falcon on a post"

    rocks = day.value("getRocksAfterBulk")
    assert rocks["isFavorite"] is True
    assert (rocks["visibility"], rocks["isArchived"]) == ("archive", True)


def test_statistics_count_by_favourite_and_visibility(day: Day) -> None:
    assert day.value("statisticsFavorites") == stats(2)
    assert day.value("statisticsArchived") == stats(1)
    assert day.value("statisticsTimeline") == stats(3)
    assert day.value("statisticsHidden") == stats(1)


def test_statistics_without_a_visibility_count_timeline_and_archive_only(day: Day) -> None:
    """Immich's `withDefaultVisibility`: visibility in (archive, timeline); the fifth upload is hidden."""
    assert day.value("statisticsAtStart") == stats(4)
    assert day.value("statisticsAll") == stats(4)
    # At the end of the day: falcon (timeline) and rocks (archive); the cyclamen and the cactus are gone.
    assert day.value("statisticsAtEnd") == stats(2)


# --- albums ----------------------------------------------------------------------------------------------


def test_an_album_is_created_with_an_asset_and_grows(day: Day) -> None:
    assert day.status("createAlbum") == 201
    album = day.value("createAlbum")
    assert album["albumName"] == "Birds and rocks"
    assert album["assetCount"] == 1
    assert album["albumThumbnailAssetId"] == day.ids["falcon"]
    assert album["albumUsers"][0]["role"] == "owner"
    assert album["albumUsers"][0]["user"]["email"] == EMAIL

    (listed,) = day.value("getAllAlbums")
    assert (listed["id"], listed["assetCount"]) == (album["id"], 1)

    assert day.value("addAssetsToAlbum") == [
        {"id": day.ids["rocks"], "success": True},
        {"id": day.ids["falcon"], "success": False, "error": "duplicate"},
    ]
    (grown,) = day.value("getAllAlbumsAfterAdd")
    assert (grown["id"], grown["assetCount"]) == (album["id"], 2)
    assert [found["id"] for found in day.value("getAlbumsWithRocks")] == [album["id"]]


# --- trash -----------------------------------------------------------------------------------------------


def test_deleting_without_force_moves_to_the_trash(day: Day) -> None:
    assert day.status("trashCyclamenAndCactus") == 204
    trashed = day.value("getCyclamenTrashed")
    assert trashed["isTrashed"] is True
    assert day.value("statisticsTrashed") == stats(2)
    # A trashed asset is still the owner's: a re-upload of it is a duplicate, flagged as trashed.
    assert day.value("checkBulkUploadTrashed")["results"] == [
        {
            "id": "cyclamen",
            "action": "reject",
            "reason": "duplicate",
            "assetId": day.ids["cyclamen"],
            "isTrashed": True,
        }
    ]


def test_statistics_leave_out_the_trash_unless_asked(day: Day) -> None:
    """Immich: `.where('deletedAt', isTrashed ? 'is not' : 'is', null)` whatever the other filters."""
    # Cyclamen and cactus are in the trash; the falcon is the one left on the timeline.
    assert day.value("statisticsTimelineWhileTrashed") == stats(1)
    # ...and falcon (timeline) and rocks (archive) in the default view.
    assert day.value("statisticsWhileTrashed") == stats(2)


def test_restore_by_id_and_restore_everything(day: Day) -> None:
    assert day.value("restoreCyclamen") == {"count": 1}
    assert day.value("getCyclamenRestored")["isTrashed"] is False
    assert day.value("statisticsTrashedAfterRestore") == stats(1)

    assert day.status("trashCyclamenAgain") == 204
    assert day.value("restoreTrash") == {"count": 2}
    assert day.value("statisticsTrashedAfterRestoreTrash") == stats(0)
    assert day.value("getCactusRestored")["isTrashed"] is False


def test_emptying_the_trash_deletes_for_good(day: Day) -> None:
    assert day.status("trashCyclamenForEmpty") == 204
    assert day.value("emptyTrash") == {"count": 1}
    assert day.value("statisticsTrashedAfterEmpty") == stats(0)
    gone = day.outcome("getCyclamenAfterEmpty")
    assert (gone["ok"], gone["status"]) == (False, 400), gone


def test_force_delete_skips_the_trash(day: Day) -> None:
    assert day.status("forceDeleteCactus") == 204
    gone = day.outcome("getCactusAfterForceDelete")
    assert (gone["ok"], gone["status"]) == (False, 400), gone
    assert day.value("statisticsTrashedAtEnd") == stats(0)
    # Its checksum is free again: the check accepts it and an upload creates a new asset.
    (checked,) = day.value("checkBulkUploadDeleted")["results"]
    assert (checked["id"], checked["action"]) == ("cactus", "accept")
    assert day.status("uploadCactusAgain") == 201
    again = day.value("uploadCactusAgain")
    assert again["status"] == "created"
    assert again["id"] != day.ids["cactus"]


# --- downloads -------------------------------------------------------------------------------------------


def test_download_asset_returns_the_original_bytes(day: Day) -> None:
    for name, path in (("downloadFalcon", FALCON), ("downloadRocks", ROCKS)):
        assert day.status(name) == 200
        saved = day.value(name)
        downloaded = (day.downloads / saved["file"]).read_bytes()
        assert saved["type"] == "image/jpeg"
        assert len(downloaded) == path.stat().st_size
        assert sha1(downloaded) == sha1(path.read_bytes())
        assert downloaded == path.read_bytes()


def test_download_info_lists_the_assets_in_one_archive(day: Day) -> None:
    assert day.status("getDownloadInfo") == 201
    info = day.value("getDownloadInfo")
    size = FALCON.stat().st_size + ROCKS.stat().st_size
    assert info["totalSize"] == size
    (archive,) = info["archives"]
    assert sorted(archive["assetIds"]) == sorted([day.ids["falcon"], day.ids["rocks"]])
    assert archive["size"] == size

    album_info = day.value("getDownloadInfoForAlbum")
    assert album_info["totalSize"] == size
    assert sorted(album_info["archives"][0]["assetIds"]) == sorted(archive["assetIds"])


def test_download_archive_is_a_zip_of_the_original_bytes(day: Day) -> None:
    assert day.status("downloadArchive0") == 200
    saved = day.value("downloadArchive0")
    data = (day.downloads / saved["file"]).read_bytes()
    assert "downloadArchive1" not in day.steps
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted([FALCON.name, ROCKS.name])
        for path in (FALCON, ROCKS):
            member = archive.read(path.name)
            assert sha1(member) == sha1(path.read_bytes())
            assert member == path.read_bytes()


def test_the_day_ran_without_unexpected_failures(day: Day) -> None:
    expected_failures = {"getCyclamenAfterEmpty", "getCactusAfterForceDelete"}
    failed = {name: outcome for name, outcome in day.steps.items() if not outcome["ok"]}
    assert set(failed) == expected_failures, json.dumps(failed, indent=1)
