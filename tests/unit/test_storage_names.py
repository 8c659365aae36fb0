"""One sanitiser for every name Albumen writes (template segments, archive entries, storage labels),
with the rules of the npm package sanitize-filename 1.6 that Immich uses, default options."""

from __future__ import annotations

import pytest

from albumen.downloads.service import entry_name
from albumen.storage.names import sanitize_filename, sanitize_storage_label
from albumen.storage.template import library_root

# (input, sanitize-filename(input))
SANITIZE_CASES = [
    ("a:b", "ab"),
    ("a:b.jpg", "ab.jpg"),
    ("con", ""),
    ("CON.txt", ""),
    ("com1", ""),
    ("lpt9.x", ""),
    ("..", ""),
    (".", ""),
    ("name. ", "name"),
    ("trail...", "trail"),
    ("x\\y", "xy"),
    ("a\x01b", "ab"),
    ("a/b?c", "abc"),
    ('<>*|"', ""),
    ("ok", "ok"),
    ("", ""),
    ("é" * 200, "é" * 127),  # 255 bytes of UTF-8, no character cut in half
]


@pytest.mark.parametrize(("name", "expected"), SANITIZE_CASES)
def test_sanitize_filename_matches_the_npm_package(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [("my.label/x", "mylabelx"), ("a:b", "ab"), ("...", None), ("con", None), ("", None), (None, None)],
)
def test_storage_labels_lose_dots_and_illegal_characters(label: str | None, expected: str | None) -> None:
    assert sanitize_storage_label(label) == expected


def test_every_caller_uses_the_same_rules() -> None:
    assert entry_name("a:b.jpg") == "ab.jpg"
    assert entry_name("..") == "unnamed"
    assert library_root("owner", "a:b.c") == "library/abc"
    assert library_root("owner", "...") == "library/owner"
