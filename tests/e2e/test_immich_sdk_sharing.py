"""Sharing with the real @immich/sdk (npm) against `albumen serve`: album roles and a password-protected link.

js/sdk-sharing-day.mjs makes the calls: Alice shares an album with Bob as a viewer, then as an editor, then
by a link with a password, upload allowed and download not; an anonymous visitor unlocks the link. These
tests judge every answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ASSETS_DIR
from tests.e2e.harness import JS_DIR, Node, serving
from tests.support.server import RunningServer, assert_no_traceback

pytestmark = pytest.mark.e2e

ALICE = "alice@immich.test"
BOB = "bob@family.test"
PASSWORD = "a long enough password"
NATURE = ASSETS_DIR / "albums" / "nature"
FILES = (NATURE / "prairie_falcon.jpg", NATURE / "el_torcal_rocks.jpg", NATURE / "silver_fir.jpg")


@dataclass(frozen=True)
class Day:
    steps: dict[str, dict[str, Any]]
    ids: dict[str, str]

    def outcome(self, name: str) -> dict[str, Any]:
        outcome = self.steps.get(name)
        assert outcome is not None, f"{name} was not reached: {json.dumps(self.steps, indent=1)[:5000]}"
        return outcome

    def value(self, name: str) -> Any:
        outcome = self.outcome(name)
        assert outcome["ok"], f"{name} failed: {outcome}"
        return outcome["value"]

    def refused(self, name: str) -> tuple[int, str]:
        outcome = self.outcome(name)
        assert not outcome["ok"], f"{name} was allowed: {outcome}"
        error = outcome["error"]
        return outcome["status"], error.get("message", "") if isinstance(error, dict) else str(error)

    def album_assets(self, name: str) -> set[str]:
        return set(self.value(name))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving(tmp_path_factory.mktemp("sdk-sharing") / "data") as running:
        yield running
    assert_no_traceback(running)


@pytest.fixture(scope="module")
def day(node: Node, server: RunningServer) -> Day:
    script = str(JS_DIR / "sdk-sharing-day.mjs")
    args = [str(node.binary), script, server.api, ALICE, PASSWORD, BOB, *(str(path) for path in FILES)]
    result = node.run(args, timeout=300)
    assert result.returncode == 0, result.describe()
    record = json.loads(result.stdout)
    return Day(record["steps"], record["ids"])


def test_a_viewer_sees_the_album_and_its_timeline(day: Day) -> None:
    day.value("shareWithBobAsViewer")
    shared = day.value("bobListsSharedAlbums")
    assert [album["id"] for album in shared] == [day.ids["album"]]
    assert shared[0]["albumName"] == "Summer"
    assert day.value("bobReadsAlbum")["assetCount"] == 1
    assert day.album_assets("bobListsAssets") == {day.ids["alice"]}
    buckets = day.value("bobReadsAlbumBuckets")
    assert [bucket["count"] for bucket in buckets] == [1]  # the photo's month (its EXIF date once read)
    assert day.value("bobReadsAlbumBucket")["id"] == [day.ids["alice"]]


def test_a_viewer_can_neither_add_nor_remove(day: Day) -> None:
    assert day.refused("viewerBobAdds") == (400, "Not found or no albumAsset.create access")
    assert day.refused("viewerBobRemoves") == (400, "Not found or no albumAsset.delete access")
    assert day.album_assets("albumAfterViewer") == {day.ids["alice"]}


def test_an_editor_adds_assets(day: Day) -> None:
    day.value("makeBobEditor")
    assert day.outcome("makeBobEditor")["status"] == 204
    assert day.value("editorBobAdds") == [{"id": day.ids["bob"], "success": True}]
    assert day.album_assets("albumAfterEditor") == {day.ids["alice"], day.ids["bob"]}
    roles = {user["user"]["id"]: user["role"] for user in day.value("albumUsersAfterEditor")["albumUsers"]}
    assert roles[day.ids["bobUser"]] == "editor"


def test_the_link_is_locked_until_the_password_is_given(day: Day) -> None:
    link = day.value("createLink")
    assert (link["type"], link["allowUpload"], link["allowDownload"]) == ("ALBUM", True, False)
    assert link["password"] == "open sesame"
    assert day.refused("visitorWithoutPassword") == (401, "Password required")
    assert day.refused("visitorWrongPassword") == (401, "Invalid password")
    assert day.value("visitorUnlocks")["id"] == link["id"]
    assert day.value("visitorReadsLink")["album"]["id"] == day.ids["album"]


def test_the_visitor_lists_the_album_and_uploads_into_it(day: Day) -> None:
    assert day.value("visitorReadsAlbum")["assetCount"] == 2
    assert day.album_assets("visitorListsAssets") == {day.ids["alice"], day.ids["bob"]}
    assert sum(bucket["count"] for bucket in day.value("visitorReadsBuckets")) == 2
    uploaded = day.value("visitorUploads")
    assert (day.outcome("visitorUploads")["status"], uploaded["status"]) == (201, "created")
    assert day.album_assets("visitorListsAfterUpload") == {day.ids["alice"], day.ids["bob"], uploaded["id"]}
    assert uploaded["id"] in day.album_assets("aliceSeesVisitorUpload")


def test_the_visitor_is_refused_every_download(day: Day) -> None:
    # Immich's file endpoints turn every failure into 404 (CONTRACT.md §0), Albumen's answer the access
    # refusal (400); the SDK reads a file endpoint's error body as a blob, so only the status is seen
    assert day.refused("visitorDownloadsOriginal")[0] in {400, 404}
    assert day.refused("visitorDownloadInfo") == (400, "Not found or no album.download access")
    assert day.refused("visitorDownloadArchive")[0] == 400  # a zip endpoint: the body is a blob too
