"""Archive download throughput and memory, as a ratio to `cat` of the same bytes, plus a ZIP64 check.

    .venv/bin/python benchmarks/download.py [--size-mib 4198] [--no-verify] [--dir DIR]

Writes one generated file (default 4.1 GiB, so the entry, its offsets and the archive all pass the
4 GiB ZIP32 limits) plus a small one to a local storage folder in a temporary directory, then:

1. times `cat` of the big file to /dev/null (page cache warm), and the storage back-end's read alone;
2. times the archive stream of both files (the same code POST /download/archive runs) into nothing,
   best of three, and reads the process's peak RSS before and after (does streaming stay flat?);
3. streams the archive again into a file and has Python's zipfile read it back: names, sizes,
   ZIP64 records and every CRC-32.

Needs about twice the size in free disk space. A ratio > 1 means faster than `cat`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from albumen.downloads.schemas import ArchiveEntry  # noqa: E402
from albumen.downloads.service import stream_archive  # noqa: E402
from albumen.kit.memory import limit_malloc_arenas  # noqa: E402
from albumen.storage.base import StorageBackend  # noqa: E402
from albumen.storage.local import LocalStorage  # noqa: E402

MIB = 1024 * 1024
GIB = 1024 * MIB
BIG_KEY = "upload/big.mov"
SMALL_KEY = "upload/small.jpg"
SMALL = b"small file after the 4 GiB mark\n" * 1000
# This machine shares its cores; the best of a few runs is the least disturbed one.
RUNS = 3


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, size: int) -> None:
    """Bytes that differ per MiB (a constant file would hide a reader that repeats a chunk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = hashlib.sha256(b"albumen").digest() * (MIB // 32)
    with path.open("wb") as handle:
        written = 0
        block = 0
        while written < size:
            piece = (block.to_bytes(8, "little") + seed)[: min(MIB, size - written)]
            handle.write(piece)
            written += len(piece)
            block += 1


async def best_of(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - started)
    return best


def time_cat(path: Path) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # noqa: S603, S607
        best = min(best, time.perf_counter() - started)
    return best


def entries() -> list[ArchiveEntry]:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return [
        ArchiveEntry("big.mov", "originals", BIG_KEY, when),
        ArchiveEntry("small.jpg", "originals", SMALL_KEY, when),
    ]


async def drain(chunks: AsyncIterator[bytes]) -> int:
    total = 0
    async for chunk in chunks:
        total += len(chunk)
    return total


async def save(chunks: AsyncIterator[bytes], path: Path) -> int:
    import anyio

    total = 0
    async with await anyio.open_file(path, "wb") as handle:
        async for chunk in chunks:
            await handle.write(chunk)
            total += len(chunk)
    return total


def check_zip(path: Path, big_size: int) -> str:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["big.mov", "small.jpg"], infos
        assert infos[0].file_size == big_size, (infos[0].file_size, big_size)
        assert infos[1].file_size == len(SMALL)
        if big_size > 0xFFFFFFFF:
            assert infos[1].header_offset > 0xFFFFFFFF, "the second entry should start past 4 GiB"
        assert archive.read("small.jpg") == SMALL
        started = time.perf_counter()
        bad = archive.testzip()  # reads every byte and checks each CRC-32
        assert bad is None, f"CRC mismatch in {bad}"
        seconds = time.perf_counter() - started
    return (
        f"{len(infos)} entries, sizes and CRC-32 match, second entry at offset "
        f"{infos[1].header_offset:,} (read back in {seconds:.1f} s)"
    )


async def time_archive(storage_root: Path) -> dict[str, float]:
    """Runs in a child process, so its peak RSS and its allocator settings are its own."""
    storage: dict[str, StorageBackend] = {"originals": LocalStorage(storage_root)}
    await drain(storage["originals"].read(SMALL_KEY))  # imports and threads started before the baseline
    rss_before = peak_rss_mib()
    produced = 0

    async def archive() -> None:
        nonlocal produced
        produced = await drain(stream_archive(entries(), storage))

    seconds = await best_of(RUNS, archive)
    return {"seconds": seconds, "produced": produced, "rss_before": rss_before, "rss_after": peak_rss_mib()}


def archive_in_child(storage_root: Path, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", str(storage_root)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


async def run(size: int, work: Path, verify: bool) -> None:
    storage_root = work / "library"
    print(f"generating {size / GIB:.2f} GiB in {work} …", flush=True)
    generate(storage_root / BIG_KEY, size)
    (storage_root / SMALL_KEY).write_bytes(SMALL)
    storage: dict[str, StorageBackend] = {"originals": LocalStorage(storage_root)}

    os.sync()  # let write-back of the generated file finish before anything is timed
    cat_seconds = time_cat(storage_root / BIG_KEY)
    print(f"cat:      {size / GIB / cat_seconds:6.2f} GiB/s  ({cat_seconds:.2f} s, to /dev/null)")

    read_seconds = await best_of(RUNS, lambda: drain(storage["originals"].read(BIG_KEY)))
    print(
        f"read:     {size / GIB / read_seconds:6.2f} GiB/s  ({read_seconds:.2f} s, storage read alone)  "
        f"ratio to cat {cat_seconds / read_seconds:.2f}"
    )

    # glibc gives each thread its own arena and trims them eagerly, so the 1 MiB chunks that
    # stream-zip's worker threads allocate are faulted in afresh each time; one arena avoids that.
    variants: tuple[tuple[str, dict[str, str]], ...] = (
        ("archive, glibc defaults:", {"ALBUMEN_BENCH_DEFAULT_ARENAS": "1"}),
        ("archive, MALLOC_ARENA_MAX=1:", {"MALLOC_ARENA_MAX": "1", "ALBUMEN_BENCH_DEFAULT_ARENAS": "1"}),
        ("archive, as albumen serve runs (limit_malloc_arenas):", {}),
    )
    for label, env in variants:
        result = archive_in_child(storage_root, env)
        seconds = result["seconds"]
        print(
            f"{label}\n          {size / GIB / seconds:6.2f} GiB/s  ({seconds:.2f} s, best of {RUNS})  "
            f"ratio to cat {cat_seconds / seconds:.2f}, to the read alone {read_seconds / seconds:.2f}\n"
            f"          peak RSS {result['rss_after']:.0f} MiB ({result['rss_before']:.0f} MiB before)"
        )
    produced = int(result["produced"])
    print(f"zip size: {produced:,} bytes ({produced - size - len(SMALL):,} of headers and block framing)")

    if verify:
        target = work / "archive.zip"
        await save(stream_archive(entries(), storage), target)
        print(f"zipfile:  {check_zip(target, size)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--size-mib", type=int, default=4198, help="size of the big entry (4198 MiB = 4.1 GiB)"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip writing the zip and reading it back")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        if not os.environ.get("ALBUMEN_BENCH_DEFAULT_ARENAS"):
            limit_malloc_arenas()
        print(json.dumps(asyncio.run(time_archive(args.child))))
        return
    work = Path(tempfile.mkdtemp(prefix="albumen-download-bench-", dir=args.dir))
    try:
        asyncio.run(run(args.size_mib * MIB, work, not args.no_verify))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
