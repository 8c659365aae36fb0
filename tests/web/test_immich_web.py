"""The real Immich web app, clicked through in Chromium against `albumen serve --web-dir`.

Opt-in and slow: runs only when ALBUMEN_IMMICH_WEB_DIR names a web build (scripts/build-immich-web.sh)
and Playwright (PyPI) and a Chromium (Debian `chromium`, or ALBUMEN_CHROMIUM) are there:

    ALBUMEN_IMMICH_WEB_DIR=~/.cache/albumen/immich-web-3.1.0 pytest -s tests/web

or, for the report alone: `python -m tests.web.test_immich_web WEB_DIR`. Each step says pass/fail with
the /api calls that failed (status >= 400) while it ran; the test fails listing the failed steps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import RunningServer, assert_no_traceback, start_server

ASSETS = Path(__file__).resolve().parents[3] / "shared" / "test-assets"  # as tests/conftest.py finds it
# All with camera EXIF (the detail panel shows it); thompson-springs has a GPS position (the map).
FILES = [
    "albums/nature/prairie_falcon.jpg",
    "albums/nature/tanners_ridge.jpg",
    "albums/nature/cyclamen_persicum.jpg",
    "metadata/gps-position/thompson-springs.jpg",
]
PHOTOS = [Path(name).name for name in FILES]
EMAIL, PASSWORD, NAME = "admin@example.com", "correct horse battery", "Web Admin"
WAIT_MS = 30_000


@dataclass
class Step:
    name: str
    ok: bool = False
    detail: str = ""
    failed_api: list[str] = field(default_factory=list)


@dataclass
class Walk:
    """Runs steps one after another; a failed step is recorded and the walk goes on."""

    page: Any
    base_url: str
    steps: list[Step] = field(default_factory=list)
    failed_api: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)  # handleError() logs there, beside its toast
    mark: int = 0  # failed_api's length when the current step began
    asset_ids: list[str] = field(default_factory=list)
    browser: Any = None  # for a visitor's own context (no cookies): shared-link pages
    album_id: str = ""

    def watch(self) -> None:
        def on_response(response: Any) -> None:
            path = urllib.parse.urlsplit(response.url).path
            if path.startswith("/api/") and response.status >= 400:
                body = ""
                try:
                    body = response.text()[:160]
                except Exception:  # a body gone with its page is no reason to stop
                    body = "(body unavailable)"
                self.failed_api.append(f"{response.request.method} {path} -> {response.status} {body}")

        def on_request_failed(request: Any) -> None:
            path = urllib.parse.urlsplit(request.url).path
            # ERR_ABORTED: the walk left the page before the answer came, not the server's doing
            if path.startswith("/api/") and "ERR_ABORTED" not in str(request.failure):
                self.failed_api.append(f"{request.method} {path} -> no response ({request.failure})")

        self.page.on("response", on_response)
        self.page.on("requestfailed", on_request_failed)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)[:300]))
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text[:300]),
        )

    def step(self, name: str, action: Callable[[], str | None]) -> Step:
        step = Step(name)
        seen = self.mark = len(self.failed_api)
        started = time.monotonic()
        try:
            step.detail = action() or ""
            step.ok = True
        except Exception as error:  # every failure is reported, none ends the walk
            step.detail = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
            if os.environ.get("ALBUMEN_WEB_WALK_TRACE"):
                traceback.print_exc()
        self.page.wait_for_timeout(300)  # let late responses of the step land in its own list
        step.failed_api = self.failed_api[seen:]
        print(f"[{'PASS' if step.ok else 'FAIL'}] {name} ({time.monotonic() - started:.1f}s) {step.detail}")
        for call in step.failed_api:
            print(f"       failed /api call: {call}")
        self.steps.append(step)
        return step

    def report(self) -> str:
        lines = [f"{sum(s.ok for s in self.steps)}/{len(self.steps)} steps passed"]
        lines += [f"  FAIL {s.name}: {s.detail}" for s in self.steps if not s.ok]
        uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        unique = sorted({uuid.sub("{id}", call) for call in self.failed_api})
        lines.append(f"{len(unique)} distinct failed /api calls:")
        lines += [f"  {call}" for call in unique]
        if self.page_errors:
            lines.append(f"{len(self.page_errors)} uncaught page errors, first: {self.page_errors[0]}")
        unique_console = sorted({uuid.sub("{id}", text) for text in self.console_errors})
        if unique_console:
            lines.append(f"{len(unique_console)} distinct console errors:")
            lines += [f"  {text}" for text in unique_console]
        return "\n".join(lines)


def _thumbnails(page: Any) -> Any:
    return page.locator("[data-asset-id]")


def _wait_for_count(locator: Any, at_least: int, timeout_ms: int = WAIT_MS) -> int:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        count = int(locator.count())
        if count >= at_least:
            return count
        time.sleep(0.5)
    raise AssertionError(f"saw {locator.count()} of {at_least} expected elements")


def sign_up(walk: Walk) -> str:
    page = walk.page
    page.goto(walk.base_url + "/")
    page.get_by_role("link", name="Getting Started").click()
    page.wait_for_url("**/auth/register")
    page.get_by_label("Admin Email").fill(EMAIL)
    page.get_by_label("Admin Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm Admin Password").fill(PASSWORD)
    page.get_by_label("Name").fill(NAME)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/auth/login**")
    return "admin registered"


def log_in_and_onboard(walk: Walk) -> str:
    page = walk.page
    page.goto(walk.base_url + "/auth/login?autoLaunch=0")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/auth/onboarding**")
    clicked = []
    # The onboarding's steps: each page's button names the next one, the last says Done.
    for name in (
        "Theme",
        "Language",
        "Server Privacy",
        "User Privacy",
        "Storage Template",
        "Backups",
        "Mobile App",
        "Done",
    ):
        button = page.get_by_role("button", name=name, exact=True)
        button.click(timeout=10_000)
        clicked.append(name)
    page.wait_for_url("**/photos", timeout=WAIT_MS)
    return "onboarding: " + " > ".join(clicked)


def upload(walk: Walk) -> str:
    page = walk.page
    if "/photos" not in page.url:
        page.goto(walk.base_url + "/photos")
    answers: list[Any] = []

    def on_response(response: Any) -> None:
        if response.request.method == "POST" and urllib.parse.urlsplit(response.url).path == "/api/assets":
            answers.append(response)

    page.on("response", on_response)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload").first.click()
    chooser.value.set_files([str(ASSETS / name) for name in FILES])
    deadline = time.monotonic() + 120
    while len(answers) < len(PHOTOS) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    statuses = sorted(r.status for r in answers)
    assert len(answers) == len(PHOTOS), f"{len(answers)} of {len(PHOTOS)} uploads answered"
    assert all(status in (200, 201) for status in statuses), f"upload statuses {statuses}"
    walk.asset_ids = [r.json()["id"] for r in answers]
    return f"{len(answers)} uploads answered {statuses}"


def timeline_shows_uploads(walk: Walk) -> str:
    count = _wait_for_count(_thumbnails(walk.page), len(PHOTOS), 60_000)  # no reload: the socket tells
    return f"{count} thumbnails on the timeline"


def _open_asset(walk: Walk, index: int = 0) -> str:
    assert walk.asset_ids, "no uploaded asset to open"
    asset_id = walk.asset_ids[index]
    walk.page.goto(f"{walk.base_url}/photos/{asset_id}")
    walk.page.wait_for_selector("#immich-asset-viewer", timeout=WAIT_MS)
    return asset_id


def open_viewer(walk: Walk) -> str:
    page = walk.page
    _open_asset(walk)
    preview = page.get_by_test_id("preview").filter(visible=True)
    preview.wait_for(timeout=WAIT_MS)
    src = preview.get_attribute("src") or ""
    natural = page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0 ? el.naturalWidth : 0",
        arg=preview.element_handle(),
        timeout=WAIT_MS,
    ).json_value()
    return f"preview {natural}px wide from {urllib.parse.urlsplit(src).path}"


def exif_panel(walk: Walk) -> str:
    page = walk.page
    if page.locator("#immich-asset-viewer").count() == 0:
        _open_asset(walk)
    page.keyboard.press("i")
    panel = page.locator("#detail-panel")
    panel.wait_for(timeout=WAIT_MS)
    text = panel.inner_text(timeout=WAIT_MS)
    names = [name for name in PHOTOS if name in text]
    assert names, f"no file name in the detail panel: {text[:200]!r}"
    lens = next((line for line in text.splitlines() if "mm" in line and any(c.isdigit() for c in line)), "")
    assert lens, f"no camera/lens line in the detail panel: {text[:300]!r}"
    page.keyboard.press("i")
    return f"panel names {names[0]}, lens line {lens.strip()!r}"


def search_by_name(walk: Walk) -> str:
    page = walk.page
    query = json.dumps({"originalFileName": "prairie_falcon"})
    with page.expect_response(lambda r: "/api/search/metadata" in r.url, timeout=WAIT_MS) as answer:
        page.goto(walk.base_url + "/search?query=" + urllib.parse.quote(query))
    assert answer.value.status == 200, f"POST /api/search/metadata -> {answer.value.status}"
    found = [item["originalFileName"] for item in answer.value.json()["assets"]["items"]]
    assert found == ["prairie_falcon.jpg"], f"search found {found}"
    # The search page shows results in a gallery grid, whose thumbnails carry data-asset, not data-asset-id.
    count = _wait_for_count(page.locator("[data-thumbnail-focus-container][data-asset]"), 1)
    return f"{count} result(s) shown for file name prairie_falcon"


def explore(walk: Walk) -> str:
    page = walk.page
    page.goto(walk.base_url + "/explore")
    page.wait_for_load_state("networkidle", timeout=WAIT_MS)
    return _no_api_failures(walk, "/explore")


def map_page(walk: Walk) -> str:
    page = walk.page
    with page.expect_response(lambda r: "/api/map/markers" in r.url, timeout=WAIT_MS) as markers:
        page.goto(walk.base_url + "/map")
    response = markers.value
    assert response.status == 200, f"GET /api/map/markers -> {response.status}"
    return f"{len(response.json())} map markers"


def memories(walk: Walk) -> str:
    page = walk.page
    with page.expect_response(lambda r: "/api/memories" in r.url, timeout=WAIT_MS) as answer:
        page.goto(walk.base_url + "/photos")
    response = answer.value
    assert response.status == 200, f"GET /api/memories -> {response.status}"
    return f"{len(response.json())} memories"


def trash_and_restore(walk: Walk) -> str:
    page = walk.page
    asset_id = _open_asset(walk, -1)
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/api/assets" in r.url) as deleted:
        page.keyboard.press("Delete")  # trash is on by default: no confirmation
    assert deleted.value.status in (200, 204), f"DELETE /api/assets -> {deleted.value.status}"
    page.goto(walk.base_url + "/trash")
    _wait_for_count(page.locator(f'[data-asset-id="{asset_id}"]'), 1)
    page.get_by_role("button", name="Restore all").click()
    with page.expect_response(lambda r: "/api/trash/restore" in r.url) as restored:
        page.get_by_role("button", name="Confirm").click()
    assert restored.value.status in (200, 204), f"POST /api/trash/restore -> {restored.value.status}"
    page.goto(walk.base_url + "/photos")
    _wait_for_count(page.locator(f'[data-asset-id="{asset_id}"]'), 1)
    return f"trashed {asset_id} from the viewer, restored it from the trash page, back on the timeline"


def _api(walk: Walk, method: str, path: str, body: dict[str, Any]) -> Any:
    """A call as the signed-in user (the page's cookies), for set-up the walk does not click through."""
    response = walk.page.request.fetch(walk.base_url + path, method=method, data=body)
    assert response.ok, f"{method} {path} -> {response.status} {response.text()[:200]}"
    return response.json()


def album_page(walk: Walk) -> str:
    album = _api(walk, "POST", "/api/albums", {"albumName": "Nature", "assetIds": walk.asset_ids})
    walk.album_id = album["id"]
    walk.page.goto(f"{walk.base_url}/albums/{walk.album_id}")
    count = _wait_for_count(_thumbnails(walk.page), len(walk.asset_ids))
    return f"album {album['albumName']!r} shows {count} photos"


def _visitor_sees(walk: Walk, url: str, password: str | None) -> int:
    """Opens a share page in a fresh context (no account, no cookies) and counts its photos."""
    context = walk.browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        if password is not None:
            page.get_by_placeholder("Password").fill(password)
            page.get_by_role("button", name="Submit").click()
        return _wait_for_count(page.locator("[data-asset-id]"), len(walk.asset_ids))
    finally:
        context.close()


def shared_link_page(walk: Walk) -> str:
    assert walk.album_id, "no album to share"
    link = _api(walk, "POST", "/api/shared-links", {"type": "ALBUM", "albumId": walk.album_id})
    count = _visitor_sees(walk, f"{walk.base_url}/share/{link['key']}", None)
    return f"a visitor without an account sees {count} photos at /share/<key>"


def password_link_page(walk: Walk) -> str:
    assert walk.album_id, "no album to share"
    body = {"type": "ALBUM", "albumId": walk.album_id, "password": "open sesame", "slug": "nature-walk"}
    _api(walk, "POST", "/api/shared-links", body)
    count = _visitor_sees(walk, f"{walk.base_url}/s/nature-walk", "open sesame")
    return f"the password form unlocks /s/<slug>: {count} photos"


def _no_api_failures(walk: Walk, where: str) -> str:
    failed = walk.failed_api[walk.mark :]
    assert not failed, f"{len(failed)} /api call(s) failed on {where}"
    return f"{where} loaded"


STEPS: list[tuple[str, Callable[[Walk], str]]] = [
    ("sign up the admin (onboarding page)", sign_up),
    ("log in and click through onboarding", log_in_and_onboard),
    ("upload photos with the Upload button", upload),
    ("timeline shows the uploads without a reload", timeline_shows_uploads),
    ("open the viewer (preview)", open_viewer),
    ("detail panel (EXIF)", exif_panel),
    ("search by file name", search_by_name),
    ("explore", explore),
    ("map", map_page),
    ("memories", memories),
    ("trash and restore", trash_and_restore),
    ("album page", album_page),
    ("shared album link, as a visitor", shared_link_page),
    ("password-protected link by slug, as a visitor", password_link_page),
]


def chromium_path() -> str | None:
    return os.environ.get("ALBUMEN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def albumen_with_web(web_dir: Path, work: Path) -> Iterator[RunningServer]:
    server = start_server(work / "data", extra_env={"ALBUMEN_WEB_DIR": str(web_dir)}, timeout=240)
    try:
        yield server
    finally:
        server.stop()


def walk_through(base_url: str) -> Walk:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(WAIT_MS)
            walk = Walk(page, base_url, browser=browser)
            walk.watch()
            for name, action in STEPS:
                walk.step(name, lambda action=action: action(walk))  # type: ignore[misc]
        finally:
            browser.close()
    print(walk.report())
    return walk


def _web_dir() -> Path | None:
    named = os.environ.get("ALBUMEN_IMMICH_WEB_DIR")
    return Path(named).expanduser() if named else None


def test_immich_web_app_click_through(tmp_path: Path) -> None:
    web_dir = _web_dir()
    if web_dir is None:
        pytest.skip("set ALBUMEN_IMMICH_WEB_DIR to a built Immich web app (scripts/build-immich-web.sh)")
    pytest.importorskip("playwright", reason="pip install playwright (PyPI) for the web click-through")
    if chromium_path() is None:
        pytest.skip("no chromium: apt-get install chromium, or set ALBUMEN_CHROMIUM")
    with albumen_with_web(web_dir, tmp_path) as server:
        walk = walk_through(server.base_url)
        assert_no_traceback(server)
    failed = [f"{s.name}: {s.detail}" for s in walk.steps if not s.ok]
    assert not failed, walk.report()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["ALBUMEN_IMMICH_WEB_DIR"]).expanduser()
    with (
        tempfile.TemporaryDirectory(prefix="albumen-web-walk-") as work,
        albumen_with_web(target, Path(work)) as srv,
    ):
        result = walk_through(srv.base_url)
    sys.exit(0 if all(s.ok for s in result.steps) else 1)
