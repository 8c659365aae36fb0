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
# Immich fills ExifResponseDto's two timestamps from PostgreSQL's to_json ("…+00:00", not "…Z"): those
# fields get albumen.immich.pgjson's type (the spec cannot say so; both are plain date-times there).
"$PYTHON" - "$generated" <<'PATCH'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
start = text.index("class ExifResponseDto(")
end = text.index("\nclass ", start + 1)
fields = r"(    (?:dateTimeOriginal|modifyDate): Annotated\[)AwareDatetime( \| None)"
body, count = re.subn(fields, r"\1PgJsonTimestamp\2", text[start:end])
assert count == 2, f"ExifResponseDto: expected 2 timestamp fields, found {count}"
text = text[:start] + body + text[end:]
pydantic_import = re.search(r"^from pydantic import .*$", text, re.M)
assert pydantic_import is not None
cut = pydantic_import.end()
text = text[:cut] + "\nfrom albumen.immich.pgjson import PgJsonTimestamp" + text[cut:]
open(path, "w", encoding="utf-8").write(text)
PATCH
cat "$generated" >"$output"
