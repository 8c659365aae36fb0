#!/usr/bin/env bash
# Regenerates src/albumen/immich/dto.py (pydantic models of every Immich DTO) from the pinned spec.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/datamodel-codegen --input src/albumen/immich/openapi.json --input-file-type openapi \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 --use-annotated \
  --field-constraints --use-union-operator --strict-nullable --formatters ruff-format --disable-timestamp \
  --output src/albumen/immich/dto.py 2>/dev/null
