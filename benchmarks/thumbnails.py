"""Thumbnail throughput and memory of albumen.media.images, as a ratio to libvips' own thumbnailer.

    .venv/bin/python benchmarks/thumbnails.py [--runs 5] [--threads N] [--no-assets]

`vipsthumbnail` (the CLI) is not installed here, so the baseline is what it runs: pyvips'
`Image.thumbnail` (shrink-on-load) from the same libvips wheel, with the same thread count and cache
settings. Two baselines:

- `vipsthumbnail`: one 250 px JPEG per image (`vipsthumbnail -s 250x250 in.jpg`), the lower bound;
- `2 x thumbnail`: the same work Immich's job does, done the naive way: `thumbnail()` twice from the
  file (1440 px JPEG preview + 250 px WebP thumbnail, our encoder settings), each decoding the original
  again, with no colour management and no thumbhash.

Ours decodes once and makes the 1440 px JPEG preview, the 250 px WebP thumbnail and the thumbhash. A ratio
> 1 means more images per second than the baseline. Inputs: a generated 12 MP (4000 x 3000) JPEG, and
the shared test assets that libvips reads (HEIC and JPEG XL, which it cannot, are timed for ours only).

Each phase runs in its own child process so that its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ASSETS = ROOT.parent / "shared" / "test-assets"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".heic", ".jxl", ".tif", ".tiff", ".gif"}
VIPS_NATIVE = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".tif", ".tiff", ".gif"}
BIG = 10_000_000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_12mp_jpeg(path: Path) -> None:
    import pyvips  # type: ignore[import-untyped]

    # Smooth structure plus grain, so the JPEG is about the size of a camera's (several MB), not a flat one.
    noise = pyvips.Image.perlin(4000, 3000, cell_size=256, uchar=True)
    grain = pyvips.Image.gaussnoise(4000, 3000, sigma=12, mean=0)
    red = (noise + grain).cast("uchar")
    green = noise.rot180().cast("uchar")
    blue = (noise.fliphor() * 0.6 + grain * 0.5 + 60).cast("uchar")
    image = red.bandjoin([green, blue]).copy(interpretation="srgb")
    image.jpegsave(str(path), Q=90)


def ours(path: Path) -> None:
    from albumen.media.images import ImageSpec, generate_images

    generate_images(
        path,
        thumbnail=ImageSpec("webp", 250, 80),
        preview=ImageSpec("jpeg", 1440, 80),
        fullsize=None,
        colorspace="p3",
    )


def vipsthumbnail(path: Path) -> None:
    import pyvips

    pyvips.Image.thumbnail(str(path), 250, height=250, size="down").jpegsave_buffer(Q=80)


def two_thumbnails(path: Path) -> None:
    import pyvips

    header = pyvips.Image.new_from_file(str(path))
    for size in (1440, 250):
        box = (size, BIG) if header.width <= header.height else (BIG, size)
        image = pyvips.Image.thumbnail(str(path), box[0], height=box[1], size="down")
        if size == 1440:  # the same encoder settings as ours, so the ratio measures the pipeline
            image.jpegsave_buffer(Q=80, subsample_mode="off", keep=pyvips.ForeignKeep.NONE)
        else:
            image.webpsave_buffer(Q=80, keep=pyvips.ForeignKeep.NONE)


PIPELINES: dict[str, Callable[[Path], None]] = {
    "ours": ours,
    "vipsthumbnail": vipsthumbnail,
    "2 x thumbnail": two_thumbnails,
}


def run_phase(name: str, files: list[Path], runs: int, threads: int) -> dict[str, object]:
    """In a child process: time `name` over `files`, best of `runs` passes; report peak RSS."""
    from albumen.media.images import configure

    configure(threads)  # same libvips threads and cache for every pipeline
    idle = peak_rss_mib()
    pipeline = PIPELINES[name]
    pipeline(files[0])  # warm-up: libraries loaded, profiles parsed
    per_file: dict[str, float] = {}
    passes = []
    for _ in range(runs):
        started = time.perf_counter()
        for path in files:
            t = time.perf_counter()
            pipeline(path)
            elapsed = time.perf_counter() - t
            per_file[path.name] = min(per_file.get(path.name, elapsed), elapsed)
        passes.append(time.perf_counter() - started)
    return {
        "seconds": min(passes),
        "median_seconds": statistics.median(passes),
        "images": len(files),
        "per_file_ms": {k: round(v * 1000, 1) for k, v in per_file.items()},
        "idle_rss_mib": round(idle, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def child(name: str, files: list[Path], runs: int, threads: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--phase", name, "--runs", str(runs), "--threads", str(threads)]
    out = subprocess.run(  # noqa: S603 - this script, with our own arguments
        [*command, "--", *map(str, files)], check=True, capture_output=True, text=True, env=os.environ
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def report(title: str, files: list[Path], runs: int, threads: int, baselines: list[str]) -> None:
    print(f"\n== {title}: {len(files)} image(s), best of {runs}, {threads} libvips thread(s)")
    results = {name: child(name, files, runs, threads) for name in ["ours", *baselines]}
    mine = results["ours"]
    rate = float(mine["images"]) / float(mine["seconds"])  # type: ignore[arg-type]
    print(f"  {'pipeline':<16}{'images/s':>10}{'ours / it':>11}{'peak RSS MiB':>14}{'(idle)':>8}")
    for name, result in results.items():
        their = float(result["images"]) / float(result["seconds"])  # type: ignore[arg-type]
        ratio = "" if name == "ours" else f"{rate / their:.2f}x"
        print(f"  {name:<16}{their:>10.1f}{ratio:>11}{result['peak_rss_mib']:>14}{result['idle_rss_mib']:>8}")
    if len(files) > 1:
        print("  per image, ms (ours" + "".join(f" | {b}" for b in baselines) + "):")
        per = {name: r["per_file_ms"] for name, r in results.items()}
        for path in files:
            cells = " | ".join(str(per[n].get(path.name, "-")) for n in ["ours", *baselines])  # type: ignore[attr-defined]
            print(f"    {path.relative_to(ASSETS) if path.is_relative_to(ASSETS) else path.name}: {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--no-assets", action="store_true", help="only the generated 12 MP JPEG")
    parser.add_argument("--phase", choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.files, args.runs, args.threads)))
        return

    with tempfile.TemporaryDirectory(prefix="albumen-thumbs-") as tmp:
        big = Path(tmp) / "12mp.jpg"
        make_12mp_jpeg(big)
        print(f"generated {big.name}: 4000 x 3000, {big.stat().st_size / 1e6:.1f} MB")
        report("12 MP JPEG", [big], args.runs, args.threads, ["vipsthumbnail", "2 x thumbnail"])
        if args.no_assets or not ASSETS.is_dir():
            return
        assets = sorted(p for p in ASSETS.rglob("*") if p.suffix.lower() in SUFFIXES)
        native = [p for p in assets if p.suffix.lower() in VIPS_NATIVE]
        report(
            "test assets libvips reads",
            native,
            max(1, args.runs // 2),
            args.threads,
            ["vipsthumbnail", "2 x thumbnail"],
        )
        others = [p for p in assets if p.suffix.lower() not in VIPS_NATIVE]
        if others:
            report("HEIC and JPEG XL (ours only)", others, max(1, args.runs // 2), args.threads, [])


if __name__ == "__main__":
    main()
