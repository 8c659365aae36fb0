"""The web build's files: precompressed variants when taken, long caching for hashed assets."""

from __future__ import annotations

import os
import stat
from mimetypes import guess_type
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from albumen.web.service import accepted_values

# SvelteKit names everything under _app/immutable by its content hash, so it never changes.
IMMUTABLE_PREFIX = "_app/immutable/"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# adapter-static's precompress writes these next to each text file; preferred in this order.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))


class WebFiles(StaticFiles):
    """Starlette's StaticFiles (which keeps paths inside the folder and answers If-None-Match) plus
    the two things a SvelteKit build wants from its server."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=False, check_dir=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)  # 404 unless a file inside the folder
        if path.replace(os.sep, "/").startswith(IMMUTABLE_PREFIX):
            response.headers["cache-control"] = IMMUTABLE_CACHE
        accepted = accepted_values(Headers(scope=scope).get("accept-encoding", ""))
        for encoding, suffix in PRECOMPRESSED:
            full_path, found = await anyio.to_thread.run_sync(self.lookup_path, path + suffix)
            if found is None or not stat.S_ISREG(found.st_mode):
                continue
            response.headers["vary"] = "Accept-Encoding"  # caches keep one copy per encoding
            if encoding not in accepted:
                continue
            variant: Response = FileResponse(
                full_path,
                stat_result=found,
                media_type=guess_type(path)[0] or "text/plain",  # the variant's bytes, the original's type
                headers={"content-encoding": encoding, "vary": "Accept-Encoding"},
            )
            if self.is_not_modified(variant.headers, Headers(scope=scope)):
                variant = NotModifiedResponse(variant.headers)
            if "cache-control" in response.headers:
                variant.headers["cache-control"] = response.headers["cache-control"]
            return variant
        return response
