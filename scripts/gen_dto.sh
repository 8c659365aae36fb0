#!/usr/bin/env bash
# Regenerates src/albumen/immich/dto.py (pydantic models of every Immich DTO) from the pinned spec.
# Usage: scripts/gen_dto.sh [output file]   (default: src/albumen/immich/dto.py)
# PYTHON picks the interpreter whose datamodel-code-generator and ruff are used (default: the project's
# .venv, else python3). The output is formatted with the project's ruff settings (the generator runs in
# the repository root and writes to stdout, so ruff reads pyproject.toml whatever the output path), so
# tests/unit/test_dto_is_generated.py can regenerate into a temporary file and compare it byte for byte.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="$(realpath -m "${1:-$root/src/albumen/immich/dto.py}")"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then PYTHON="$root/.venv/bin/python"; else PYTHON=python3; fi
fi
cd "$root"
generated="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$generated" "$log"' EXIT
"$PYTHON" -m datamodel_code_generator --input src/albumen/immich/openapi.json --input-file-type openapi \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 --use-annotated \
  --field-constraints --use-union-operator --strict-nullable --formatters ruff-format --disable-timestamp \
  >"$generated" 2>"$log" || { cat "$log" >&2; exit 1; }
# The generator warns about every constraint pydantic cannot express; only a failure is worth showing.
cat "$generated" >"$output"
