"""Metadata extraction throughput (files/s): one exiftool process vs a pool, as a ratio.

    .venv/bin/python benchmarks/metadata.py [--runs 3] [--processes 5] [--copies 40]

Inputs: the shared test assets (every image, video and sidecar exiftool reads there) plus `--copies`
generated 12 MP JPEGs with EXIF, each read by `MetadataReader.read` (exiftool + Immich's decisions).
Threads as many as the metadata queue's concurrency (`--processes`, Immich's default 5) read them:

- `pool of 1`: the old behaviour, one `-stay_open` exiftool per worker, reads one after another;
- `pool of N`: N `-stay_open` processes, one per thread;
- `exiftool -json`: the baseline, one exiftool run over all the files at once (its own batch mode,
  no start-up per file, no Python), for scale.

Each figure is the median of `--runs` runs, in this one process. Ratios > 1 mean more files per second.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ASSETS = ROOT.parent / "shared" / "test-assets"
SKIPPED = {".md", ""}


def make_jpegs(folder: Path, copies: int) -> list[Path]:
    import pyvips  # type: ignore[import-untyped]

    image = pyvips.Image.perlin(4000, 3000, cell_size=256, uchar=True).bandjoin([0, 0]).cast("uchar")
    first = folder / "generated-0.jpg"
    image.copy(interpretation="srgb").jpegsave(str(first), Q=85)
    exiftool = shutil.which("exiftool") or "exiftool"
    subprocess.run(  # noqa: S603
        [exiftool, "-q", "-overwrite_original", "-DateTimeOriginal=2024:05:06 07:08:09",
         "-OffsetTimeOriginal=+02:00", "-Make=Albumen", "-Model=Bench", "-GPSLatitude=48.85",
         "-GPSLatitudeRef=N", "-GPSLongitude=2.35", "-GPSLongitudeRef=E", str(first)],
        check=True,
    )  # fmt: skip
    data = first.read_bytes()
    paths = [first]
    for index in range(1, copies):
        path = folder / f"generated-{index}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths


def files_per_second(files: list[Path], run: Callable[[list[Path]], None], runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        run(files)
        rates.append(len(files) / (time.perf_counter() - started))
    return statistics.median(rates)


def with_pool(processes: int, threads: int) -> Callable[[list[Path]], None]:
    from albumen.media.metadata import MetadataReader

    reader = MetadataReader(processes=processes)
    reader.open()

    def run(files: list[Path]) -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(reader.read, files))

    return run


def exiftool_batch(files: list[Path]) -> None:
    exiftool = shutil.which("exiftool") or "exiftool"
    subprocess.run([exiftool, "-json", "-q", "-q", *map(str, files)], check=False, capture_output=True)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=5, help="pool size and threads (queue concurrency)")
    parser.add_argument("--copies", type=int, default=40, help="generated 12 MP JPEGs added to the assets")
    args = parser.parse_args()
    assets = sorted(
        path
        for path in ASSETS.rglob("*")
        if path.is_file() and path.suffix.lower() not in SKIPPED and path.name != "LICENSE"
    )
    with tempfile.TemporaryDirectory(prefix="albumen-bench-metadata-") as folder:
        files = assets + make_jpegs(Path(folder), args.copies)
        single = with_pool(1, args.processes)
        pooled = with_pool(args.processes, args.processes)
        single(files)  # warm the page cache and start the processes before timing
        pooled(files)
        rate_single = files_per_second(files, single, args.runs)
        rate_pool = files_per_second(files, pooled, args.runs)
        rate_batch = files_per_second(files, exiftool_batch, args.runs)
    print(f"{len(files)} files ({len(assets)} test assets + {args.copies} generated JPEGs), "
          f"{args.processes} threads, median of {args.runs} runs")  # fmt: skip
    print(f"  pool of 1 (before):        {rate_single:8.1f} files/s")
    print(f"  pool of {args.processes} (after):         {rate_pool:8.1f} files/s")
    print(f"  exiftool -json (baseline): {rate_batch:8.1f} files/s")
    print(f"  pool of {args.processes} / pool of 1:     {rate_pool / rate_single:8.2f}x")
    print(f"  pool of {args.processes} / exiftool -json: {rate_pool / rate_batch:8.2f}x")


if __name__ == "__main__":
    main()
