"""Storage locations from URLs: `file:///srv/photos`, `s3://bucket/prefix?endpoint=…&region=…`,
`rclone://remote:bucket/prefix`, `memory://`. Credentials for S3 come from the URL's query or the
standard AWS variables; rclone remotes from the usual rclone config (`RCLONE_CONFIG`)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from albumen.storage.base import StorageBackend, StorageError
from albumen.storage.local import LocalStorage
from albumen.storage.memory import MemoryStorage
from albumen.storage.rclone import RcloneStorage
from albumen.storage.s3 import S3Storage

SCHEMES = ("file", "s3", "rclone", "memory")


def open_storage(url: str) -> StorageBackend:
    parsed = urlparse(url)
    scheme = parsed.scheme or "file"
    if scheme == "file":
        return LocalStorage(Path(unquote(parsed.path if parsed.scheme else url)))
    if scheme == "memory":
        return MemoryStorage()
    if scheme == "s3":
        if not parsed.netloc:
            raise StorageError(f"{url!r} names no bucket (s3://bucket/prefix)")
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return S3Storage.connect(
            parsed.netloc,
            prefix=parsed.path.strip("/"),
            endpoint=query.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL"),
            region=query.get("region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION"),
            access_key_id=query.get("access_key_id") or os.environ.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=query.get("secret_access_key") or os.environ.get("AWS_SECRET_ACCESS_KEY"),
            path_style=query.get("path_style", "true").lower() != "false",
        )
    if scheme == "rclone":
        location = url.split("://", 1)[1]
        config = os.environ.get("RCLONE_CONFIG")
        return RcloneStorage.start(location, config_file=Path(config) if config else None)
    raise StorageError(f"unknown storage scheme {scheme!r} in {url!r} (use one of {', '.join(SCHEMES)})")


async def check_reachable(storage: StorageBackend) -> None:
    """Fails fast at start on an unreachable endpoint, wrong credentials or a missing bucket."""
    try:
        await storage.exists("albumen-start-check")
        if isinstance(storage, S3Storage):
            await storage.check_bucket()
    except StorageError:
        raise
    except Exception as error:  # the clients' own errors: connection refused, 403, NoSuchBucket, …
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StorageError(first_line) from None


SECRET_QUERY_KEYS = {"secret_access_key", "access_key_id", "session_token"}


def redact(url: str) -> str:
    """A location as it may be shown to an admin or logged: credentials in the query or user-info go."""
    parsed = urlparse(url)
    pairs = parse_qs(parsed.query).items()
    query = [(key, value) for key, values in pairs for value in values if key not in SECRET_QUERY_KEYS]
    netloc = parsed.netloc.rsplit("@", 1)[-1]
    return parsed._replace(netloc=netloc, query=urlencode(query)).geturl()
