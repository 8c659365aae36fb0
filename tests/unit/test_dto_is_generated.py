"""immich/dto.py is exactly what the pinned generator makes from the pinned spec (scripts/gen_dto.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "src" / "albumen" / "immich" / "dto.py"


def test_regenerating_the_dtos_changes_nothing(tmp_path: Path) -> None:
    regenerated = tmp_path / "dto.py"
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen_dto.sh"), str(regenerated)],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    fresh, kept = regenerated.read_bytes(), CHECKED_IN.read_bytes()
    if fresh != kept:
        fresh_lines, kept_lines = fresh.decode().splitlines(), kept.decode().splitlines()
        first = next(
            (n for n, (a, b) in enumerate(zip(fresh_lines, kept_lines, strict=False)) if a != b),
            min(len(fresh_lines), len(kept_lines)),
        )
        raise AssertionError(
            f"dto.py differs from a fresh generation from line {first + 1}: "
            f"regenerated {fresh_lines[first : first + 3]!r}, checked in {kept_lines[first : first + 3]!r}; "
            "run scripts/gen_dto.sh"
        )
