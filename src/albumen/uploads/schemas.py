"""The tus 1.0.0 wire format: versions, metadata encoding, and the statuses tus adds to HTTP's."""

from __future__ import annotations

import base64
import binascii

from albumen.kit.errors import AppError, BadRequest

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration,checksum"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_METADATA_BYTES = 64 * 1024


class UnsupportedVersion(AppError):
    status_code = 412


class UnsupportedMediaType(AppError):
    status_code = 415


class ChecksumMismatch(AppError):
    """tus's checksum extension answers a bad checksum with 460."""

    status_code = 460


def parse_metadata(header: str | None) -> dict[str, str]:
    """`Upload-Metadata: key base64(value),key2 base64(value2)`; a key without a value maps to ""."""
    if not header:
        return {}
    if len(header) > MAX_METADATA_BYTES:
        raise BadRequest("Upload-Metadata is too large")
    metadata: dict[str, str] = {}
    for pair in header.split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key:
            continue
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadRequest(f"Upload-Metadata value of {key} is not base64") from None
    return metadata


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items())


def parse_length(value: str | None, header: str) -> int:
    if value is None or not value.isdigit():
        raise BadRequest(f"{header} must be a non-negative integer")
    return int(value)
