"""The one file-name sanitiser: storage-template segments, archive entry names and storage labels.

Immich runs every such name through the npm package sanitize-filename with its default (empty)
replacement, so characters no file system accepts are removed, not replaced: `a:b` → `ab`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 255

_ILLEGAL = re.compile(r'[/?<>\\:*|"]')
_CONTROL = re.compile(r"[\x00-\x1f\x80-\x9f]")
_RESERVED = re.compile(r"^\.+\Z")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?\Z", re.IGNORECASE | re.ASCII)
_WINDOWS_TRAILING = re.compile(r"[. ]+\Z")


def sanitize_filename(name: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One safe path segment (possibly empty): characters no file system accepts are dropped, as are
    `.`/`..`, Windows device names and trailing dots or spaces; at most `max_bytes` of UTF-8, never
    cutting a character in half."""
    for pattern in (_ILLEGAL, _CONTROL, _RESERVED, _WINDOWS_RESERVED, _WINDOWS_TRAILING):
        name = pattern.sub("", name)
    return name.encode()[:max_bytes].decode(errors="ignore")


def sanitize_storage_label(label: str | None) -> str | None:
    """A storage label names a folder: dots go too (as in Immich); nothing left means no label."""
    if label is None:
        return None
    return sanitize_filename(unicodedata.normalize("NFC", label).replace(".", "")) or None
