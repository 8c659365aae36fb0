"""Storage throughput and memory, as ratios to `cp` / `cat` of the same file on the same disk.

    .venv/bin/python benchmarks/storage.py [--size-mb 1024]

For each back-end (local folder, S3 via a loopback `rclone serve s3`, an rclone alias remote), a
child process streams the file in and back out; it reports seconds and its peak RSS above its idle
RSS, so the numbers say whether streaming stays flat. Ratios > 1 mean faster than the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHUNK = 1024 * 1024


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    import anyio

    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


def child(kind: str, source: Path, work: Path, spec: dict[str, str]) -> None:
    """Runs in a fresh process: open the back-end, then time one write and one read of `source`."""

    async def run() -> dict[str, float]:
        from albumen.storage.local import LocalStorage
        from albumen.storage.rclone import RcloneStorage
        from albumen.storage.s3 import S3Storage

        if kind == "local":
            storage = LocalStorage(work / "local")
        elif kind == "s3":
            storage = S3Storage.connect(
                spec["bucket"], endpoint=spec["endpoint"], region="us-east-1",
                access_key_id=spec["access"], secret_access_key=spec["secret"],
            )  # fmt: skip
        else:
            storage = RcloneStorage.start("bench:photos", config_file=Path(spec["config"]))
        await storage.exists("warm-up")
        size = source.stat().st_size  # noqa: ASYNC240 - once, before timing
        idle = rss_mb()
        started = time.perf_counter()
        await storage.write("bench/object.bin", file_chunks(source))
        write_seconds = time.perf_counter() - started
        write_peak = rss_mb() - idle
        started = time.perf_counter()
        total = 0
        async for chunk in storage.read("bench/object.bin"):
            total += len(chunk)
        read_seconds = time.perf_counter() - started
        assert total == size
        if isinstance(storage, RcloneStorage):
            storage.close()
        return {
            "write": write_seconds,
            "read": read_seconds,
            "write_rss": write_peak,
            "peak_rss": rss_mb() - idle,
        }

    print(json.dumps(asyncio.run(run())))


def timed(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]  # noqa: S603 - cp/cat
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    from tests.support.s3 import running_s3

    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        work = Path(scratch)
        source = work / "source.bin"
        with source.open("wb") as handle:
            block = os.urandom(CHUNK)
            for n in range(args.size_mb):
                handle.write(block[n % 256 :] + block[: n % 256])
        cp_seconds = timed(["cp", str(source), str(work / "copy.bin")])
        started = time.perf_counter()
        shutil.copyfile(source, work / "synced.bin")
        with (work / "synced.bin").open("rb+") as synced:
            os.fsync(synced.fileno())  # our local back-end fsyncs every object; cp does not
        cp_sync_seconds = time.perf_counter() - started
        (work / "synced.bin").unlink()
        with open(os.devnull, "wb") as sink:
            cat_seconds = timed(["cat", str(work / "copy.bin")], stdout=sink)
        (work / "copy.bin").unlink()
        (work / "remote" / "photos").mkdir(parents=True)
        config = work / "rclone.conf"
        config.write_text(f"[bench]\ntype = alias\nremote = {work / 'remote'}\n")
        print(
            f"{args.size_mb} MiB: cp {cp_seconds:.2f} s, cp+fsync {cp_sync_seconds:.2f} s,"
            f" cat {cat_seconds:.2f} s"
        )
        print(
            f"{'back-end':<8} {'write s':>8} {'÷cp':>6} {'÷cp+fsync':>10} {'read s':>8} {'÷cat':>6}"
            f" {'RSS above idle: write':>22} {'read':>8}"
        )
        with running_s3(work / "s3") as s3:
            spec = {"bucket": s3.bucket, "endpoint": s3.endpoint, "access": s3.access_key,
                    "secret": s3.secret_key, "config": str(config)}  # fmt: skip
            for kind in ("local", "s3", "rclone"):
                output = subprocess.run(  # noqa: S603 - our own interpreter and script
                    [sys.executable, __file__, "--child", kind, str(source), str(work), json.dumps(spec)],
                    check=True, capture_output=True, text=True,
                ).stdout  # fmt: skip
                result = json.loads(output.strip().splitlines()[-1])
                write_ratio, read_ratio = cp_seconds / result["write"], cat_seconds / result["read"]
                sync_ratio = cp_sync_seconds / result["write"]
                print(
                    f"{kind:<8} {result['write']:>8.2f} {write_ratio:>6.2f} {sync_ratio:>10.2f} "
                    f"{result['read']:>8.2f} {read_ratio:>6.2f} {result['write_rss']:>19.1f} MB"
                    f" {result['peak_rss']:>5.1f} MB"
                )
                shutil.rmtree(work / "local", ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), json.loads(sys.argv[5]))
    else:
        main()
