from __future__ import annotations

import pytest

from albumen.storage.base import ByteRange, InvalidKey, RangeNotSatisfiable, check_key, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, ByteRange(0, 0)),  # first byte
        ("bytes=9-9", 10, ByteRange(9, 9)),  # last byte
        ("bytes=-3", 10, ByteRange(7, 9)),  # suffix
        ("bytes=-30", 10, ByteRange(0, 9)),  # suffix longer than the object
        ("bytes=4-", 10, ByteRange(4, 9)),  # open-ended
        ("bytes=2-100", 10, ByteRange(2, 9)),  # end clamped
        ("items=0-1", 10, None),  # not bytes: ignored, whole object
        ("bytes=0-1,4-5", 10, None),  # multiple ranges: whole object
    ],
)
def test_parse_range(header: str | None, size: int, expected: ByteRange | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=5-4", 10), ("bytes=-0", 10), ("bytes=0-0", 0)]
)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../b", "a//b", "a\\b", "", "a/./b", "nul\x00"])
def test_keys_cannot_escape(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)
