from __future__ import annotations

from pathlib import Path

import pytest

from albumen.storage.base import StorageError
from albumen.storage.factory import open_storage
from albumen.storage.local import LocalStorage
from albumen.storage.memory import MemoryStorage
from albumen.storage.s3 import S3Storage


def test_schemes(tmp_path: Path) -> None:
    assert isinstance(open_storage(tmp_path.as_uri()), LocalStorage)
    assert isinstance(open_storage(str(tmp_path / "plain-path")), LocalStorage)
    assert isinstance(open_storage("memory://"), MemoryStorage)
    s3 = open_storage("s3://photos/library?endpoint=http://127.0.0.1:9000&region=eu-west-1")
    assert isinstance(s3, S3Storage)
    assert s3.prefix == "library/"


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://host/x", "unknown storage scheme 'ftp'"), ("s3:///prefix", "names no bucket")],
)
def test_bad_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        open_storage(url)
