"""What the web app's pages answer: index.html for its routes, with OpenGraph tags on shared-link pages."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from albumen.container import Container

# Paths that never get the app's index.html (Immich's list; a prefix match). Files of the build
# are served before any of them but /api.
SERVER_PATHS = ("/api", "/.well-known/immich", "/custom.css", "/favicon.ico")
METADATA_PLACEHOLDER = "<!-- metadata:tags -->"
# The key is the first segment: /share/<key>/photos/<id> (a photo of the share) has the share's tags.
_SHARE_PAGE = re.compile(r"^/(share|s)/([^/]+)")


@dataclass(frozen=True)
class OpenGraphTags:
    title: str
    description: str
    image_url: str | None = None


@dataclass(frozen=True)
class ShareRef:
    """A shared-link page: /share/<key> or /s/<slug>."""

    kind: Literal["key", "slug"]
    value: str


# A live link that shows no tags (Immich keeps a password-protected link's page bare).
UNTAGGED_SHARE = OpenGraphTags(title="", description="")

# Answers a shared link's tags (UNTAGGED_SHARE for none), or None when no live link has that
# key/slug. `origin` is scheme://host of the request ("" without a Host header), for absolute image
# URLs; the container gives it the database.
ShareTagsLookup = Callable[["Container", ShareRef, str], Awaitable[OpenGraphTags | None]]


async def no_shared_links(_container: Container, _ref: ShareRef, _origin: str) -> OpenGraphTags | None:
    # Until shared links exist every key is unknown, which Immich answers with a 404 index.html.
    return None


def share_ref(path: str) -> ShareRef | None:
    match = _SHARE_PAGE.match(path)
    if match is None:
        return None
    return ShareRef("key" if match.group(1) == "share" else "slug", match.group(2))


def accepted_values(header: str) -> set[str]:
    """The lower-cased values an Accept / Accept-Encoding header allows (those without q=0)."""
    accepted = set()
    for part in header.split(","):
        value, _, params = part.partition(";")
        quality = params.replace(" ", "").removeprefix("q=")
        if value.strip() and not (quality and quality.strip("0.") == ""):
            accepted.add(value.strip().lower())
    return accepted


def is_api_path(path: str) -> bool:
    return path.startswith(SERVER_PATHS[0])


def is_server_path(path: str) -> bool:
    return path.startswith(SERVER_PATHS)


def render_tags(index: str, tags: OpenGraphTags) -> str:
    title, description = html.escape(tags.title), html.escape(tags.description)
    lines = [
        f'<meta name="description" content="{description}" />',
        '<meta property="og:type" content="website" />',
        f'<meta property="og:title" content="{title}" />',
        f'<meta property="og:description" content="{description}" />',
    ]
    if tags.image_url:
        lines.append(f'<meta property="og:image" content="{html.escape(tags.image_url)}" />')
    return index.replace(METADATA_PLACEHOLDER, "\n    ".join(lines), 1)


@dataclass(frozen=True)
class WebPage:
    status: int
    html: str


class WebAppService:
    """index.html is read once at start: a build is replaced by restarting with the new one."""

    def __init__(self, web_dir: Path, share_tags: ShareTagsLookup = no_shared_links) -> None:
        self.web_dir = web_dir
        self.index = (web_dir / "index.html").read_text(encoding="utf-8")
        self.share_tags = share_tags

    async def page(self, container: Container, path: str, origin: str) -> WebPage:
        ref = share_ref(path)
        if ref is None:
            return WebPage(200, self.index)
        tags = await self.share_tags(container, ref, origin)
        if tags is None:
            return WebPage(404, self.index)
        if tags == UNTAGGED_SHARE:
            return WebPage(200, self.index)
        return WebPage(200, render_tags(self.index, tags))
