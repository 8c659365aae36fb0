"""The routes outside /api: the web app's files and pages, or a hint page when no web app is served."""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from string import Template

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from albumen.config import Settings
from albumen.immich.spec import IMMICH_VERSION
from albumen.web.service import (
    ShareTagsLookup,
    WebAppService,
    accepted_values,
    is_api_path,
    is_server_path,
    no_shared_links,
)
from albumen.web.static import WebFiles

router = APIRouter(include_in_schema=False)
_LANDING = Template(resources.files("albumen.web").joinpath("landing.html").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class WebApp:
    files: WebFiles
    pages: WebAppService


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _accepts_html(request: Request) -> bool:
    accept = request.headers.get("accept")
    return not accept or bool(accepted_values(accept) & {"text/html", "text/*", "*/*"})


@router.api_route("/{path:path}", methods=["GET", "HEAD"])
async def web_app(request: Request) -> Response:
    path = request.url.path
    web: WebApp | None = request.app.state.web
    if web is None or is_api_path(path):  # unknown /api routes stay Immich's JSON 404
        if web is None and path == "/":
            origin = html.escape(_origin(request))
            return HTMLResponse(_LANDING.substitute(origin=origin, version=IMMICH_VERSION))
        raise HTTPException(404)
    try:
        return await web.files.get_response(web.files.get_path(request.scope), request.scope)
    except HTTPException as error:
        if error.status_code != 404:
            raise
    if is_server_path(path):
        raise HTTPException(404)
    if not _accepts_html(request):
        accept = request.headers.get("accept")
        raise HTTPException(406, f"The route {path} was requested as {accept}, but only returns text/html")
    origin = _origin(request) if request.headers.get("host") else ""
    page = await web.pages.page(request.app.state.container, path, origin)
    return HTMLResponse(page.html, status_code=page.status, headers={"cache-control": "no-store"})


def install_web(app: FastAPI, settings: Settings, share_tags: ShareTagsLookup = no_shared_links) -> None:
    """Last of all routes: everything the API and the other routes do not answer lands here."""
    app.state.web = (
        WebApp(WebFiles(settings.web_dir), WebAppService(settings.web_dir, share_tags))
        if settings.web_dir
        else None
    )
    app.include_router(router)
