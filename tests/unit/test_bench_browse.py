"""benchmarks/browse.py: counting the types of a sync stream's lines, however the bytes arrive."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _browse() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_browse", ROOT / "benchmarks" / "browse.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


browse = _browse()
COMPACT = b'{"type":"AssetV2","data":{"id":"a","type":"IMAGE"},"ack":"AssetV2|1"}\n'
SPACED = b'{"type": "AssetExifV1", "data": {"city": "Paris"}, "ack": "AssetExifV1|2"}\n'
REORDERED = b'{"ack":"SyncCompleteV1|3","data":{},"type":"SyncCompleteV1"}\n'


def _count(stream: bytes, size: int) -> dict[str, int]:
    """The types counted from the stream arriving in chunks of `size` bytes."""
    counter = browse.LineTypes()
    for start in range(0, len(stream), size):
        counter.feed(stream[start : start + size])
    return dict(counter.finish())


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_types_are_counted_across_chunk_boundaries(size: int) -> None:
    stream = COMPACT * 5 + SPACED * 3 + REORDERED
    assert _count(stream, size) == {"AssetV2": 5, "AssetExifV1": 3, "SyncCompleteV1": 1}


def test_a_last_line_without_newline_counts() -> None:
    assert _count(COMPACT * 2 + COMPACT.rstrip(b"\n"), 10) == {"AssetV2": 3}
