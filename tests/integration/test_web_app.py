"""Serving a built Immich web app: files first, index.html for the app's routes, /api untouched."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from albumen.config import ConfigError, Settings, load_settings
from albumen.main import create_app
from albumen.web.service import OpenGraphTags, ShareRef, WebAppService
from tests.support.users import sign_up_admin

INDEX = "<html><head><!-- metadata:tags --></head><body>fake immich web</body></html>"
APP_JS = "console.log('hashed asset');"
# No job workers or housekeeping: nothing here runs jobs, and the app starts and stops faster.
QUIET: dict[str, Any] = {"job_workers": False, "housekeeping_interval_seconds": 0}
PAGE_HEADERS = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    build = tmp_path / "www"
    (build / "_app" / "immutable").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "_app" / "immutable" / "x.js").write_text(APP_JS)
    (build / "_app" / "immutable" / "x.js.gz").write_bytes(gzip.compress(b"console.log('from gzip');"))
    (build / "_app" / "immutable" / "x.js.br").write_bytes(b"brotli bytes")
    (build / "_app" / "version.json").write_text('{"version":"3.1.0"}')
    (build / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
    (build / "robots.txt").write_text("User-agent: *\n")
    (tmp_path / "secret.txt").write_text("outside the build")
    return build


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def web(settings: Settings, web_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(settings.model_copy(update={"web_dir": web_dir, **QUIET})):
        yield http


@pytest.fixture
async def bare(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(settings.model_copy(update=QUIET)):
        yield http


async def test_static_files_are_served_before_the_app(web: httpx.AsyncClient) -> None:
    icon = await web.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.content == b"\x00\x00\x01\x00icon"
    robots = await web.get("/robots.txt")
    assert robots.text == "User-agent: *\n"
    assert robots.headers["content-type"].startswith("text/plain")
    assert "immutable" not in robots.headers.get("cache-control", "")


async def test_hashed_assets_are_cached_for_good(web: httpx.AsyncClient) -> None:
    plain = await web.get("/_app/immutable/x.js", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.text == APP_JS
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in plain.headers["content-type"]
    assert plain.headers["vary"] == "Accept-Encoding"
    version = await web.get("/_app/version.json")
    assert "immutable" not in version.headers.get("cache-control", "")


async def test_precompressed_variants_go_to_clients_that_take_them(web: httpx.AsyncClient) -> None:
    gzipped = await web.get("/_app/immutable/x.js", headers={"accept-encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.text == "console.log('from gzip');"  # httpx undid the gzip
    assert "javascript" in gzipped.headers["content-type"]
    assert gzipped.headers["cache-control"] == "public, max-age=31536000, immutable"
    brotli = await web.get("/_app/immutable/x.js", headers={"accept-encoding": "gzip, br"})
    assert brotli.headers["content-encoding"] == "br"
    refused = await web.get("/_app/immutable/x.js", headers={"accept-encoding": "br;q=0, gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert refused.text == APP_JS


async def test_unchanged_files_answer_304(web: httpx.AsyncClient) -> None:
    first = await web.get("/robots.txt")
    again = await web.get("/robots.txt", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


async def test_app_routes_get_index_html(web: httpx.AsyncClient) -> None:
    for path in ("/", "/photos", "/albums/abc", "/auth/login?continue=/photos", "/_app/nope.js"):
        page = await web.get(path, headers=PAGE_HEADERS)
        assert page.status_code == 200, path
        assert page.text == INDEX
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        head = await web.head(path)
        assert head.status_code == 200
        assert head.content == b""


async def test_a_client_that_takes_no_html_gets_406(web: httpx.AsyncClient) -> None:
    page = await web.get("/photos", headers={"accept": "application/json"})
    assert page.status_code == 406
    assert page.json() == {
        "message": "The route /photos was requested as application/json, but only returns text/html"
    }


async def test_api_and_server_paths_are_not_the_apps(web: httpx.AsyncClient) -> None:
    unknown = await web.get("/api/nothing-here", headers=PAGE_HEADERS)
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Cannot GET /api/nothing-here"}
    posted = await web.post("/photos")
    assert posted.status_code == 404
    assert posted.json() == {"message": "Cannot POST /photos"}
    assert (await web.get("/api/server/ping")).json() == {"res": "pong"}
    assert (await web.get("/.well-known/immich")).json() == {"api": {"endpoint": "/api"}}
    other = await web.get("/.well-known/immich-other", headers=PAGE_HEADERS)
    assert other.status_code == 404
    assert other.json() == {"message": "Cannot GET /.well-known/immich-other"}


async def test_custom_css_comes_from_the_system_config(web: httpx.AsyncClient) -> None:
    admin = await sign_up_admin(web_api(web))
    config = (await web.get("/api/system-config", headers=admin.headers)).json()
    config["theme"]["customCss"] = "body { color: red; }"
    assert (await web.put("/api/system-config", headers=admin.headers, json=config)).status_code == 200
    css = await web.get("/custom.css", headers=PAGE_HEADERS)
    assert css.status_code == 200
    assert css.text == "body { color: red; }"
    assert css.headers["content-type"].startswith("text/css")


def web_api(web: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=web._transport, base_url="http://testserver/api")


async def test_paths_leaving_the_build_are_refused(web: httpx.AsyncClient) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/_app/../../secret.txt", "/..%2fsecret.txt"):
        # Raw paths: httpx would otherwise tidy the dots away before sending.
        url = httpx.URL("http://testserver", raw_path=path.encode())
        response = await web.get(url, headers=PAGE_HEADERS)
        assert "outside the build" not in response.text, path
        assert response.text == INDEX


async def test_unknown_shared_link_pages_are_a_404_index(web: httpx.AsyncClient) -> None:
    for path in ("/share/no-such-key", "/s/no-such-slug"):
        page = await web.get(path, headers=PAGE_HEADERS)
        assert page.status_code == 404
        assert page.text == INDEX


async def test_shared_link_pages_carry_opengraph_tags(web_dir: Path) -> None:
    seen: list[tuple[ShareRef, str]] = []
    container: Any = object()  # the lookup gets the container for its database

    async def lookup(given: Any, ref: ShareRef, origin: str) -> OpenGraphTags | None:
        assert given is container
        seen.append((ref, origin))
        if ref.value != "good":
            return None
        return OpenGraphTags(
            "Trip <2024>", "3 shared photos & videos", f"{origin}/api/assets/1/thumbnail?key=k"
        )

    pages = WebAppService(web_dir, share_tags=lookup)
    page = await pages.page(container, "/share/good", "https://photos.example")
    assert page.status == 200
    assert '<meta property="og:title" content="Trip &lt;2024&gt;" />' in page.html
    assert '<meta name="description" content="3 shared photos &amp; videos" />' in page.html
    assert 'content="https://photos.example/api/assets/1/thumbnail?key=k"' in page.html
    assert "<!-- metadata:tags -->" not in page.html
    deep = await pages.page(
        container, "/share/good/photos/6d1e0f4e-0000-4000-8000-000000000000", "https://photos.example"
    )
    assert deep.status == 200
    assert seen[-1] == (ShareRef("key", "good"), "https://photos.example")
    assert (await pages.page(container, "/s/bad", "https://photos.example")).status == 404
    assert seen[-1][0] == ShareRef("slug", "bad")


async def test_without_a_web_app_the_root_says_how_to_connect(bare: httpx.AsyncClient) -> None:
    page = await bare.get("/", headers={"host": "photos.lan:2283", **PAGE_HEADERS})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "http://photos.lan:2283" in page.text
    assert "login http://photos.lan:2283/api" in page.text
    assert "--web-dir" in page.text
    hostile = await bare.get("/", headers={"host": "<script>x</script>"})
    assert "<script>x" not in hostile.text
    missing = await bare.get("/photos", headers=PAGE_HEADERS)
    assert missing.status_code == 404
    assert missing.json() == {"message": "Cannot GET /photos"}
    assert (await bare.get("/api/nothing")).json() == {"message": "Cannot GET /api/nothing"}


@pytest.mark.parametrize("make", ["missing", "file", "no-index"])
def test_a_bad_web_dir_stops_the_start_naming_the_setting(tmp_path: Path, make: str) -> None:
    target = tmp_path / "www"
    if make == "file":
        target.write_text("not a folder")
    elif make == "no-index":
        target.mkdir()
    with pytest.raises(ConfigError, match=r"web_dir \(ALBUMEN_WEB_DIR\)"):
        load_settings(web_dir=target, data_dir=tmp_path / "data")


def test_serve_refuses_a_bad_web_dir(tmp_path: Path) -> None:
    env: dict[str, Any] = {"ALBUMEN_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "albumen.cli.main", "serve", "--web-dir", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, **env},
    )
    assert result.returncode == 2
    assert "web_dir (ALBUMEN_WEB_DIR)" in result.stderr
    assert "nowhere is not a folder" in result.stderr
