#!/bin/sh
# ALBUMEN_BIN for Immich's e2e harness (../shared/immich-e2e/albumen-e2e.sh): runs this checkout's Albumen
# with the environment Immich's e2e docker image gives its server (e2e/docker-compose.yml and
# server/Dockerfile build args): staging license keys (IMMICH_ENV=testing) and the build metadata that
# server.e2e-spec.ts expects from GET /server/about.
here=$(cd "$(dirname "$0")/.." && pwd)
export IMMICH_ENV=testing
export IMMICH_BUILD=1234567890
export IMMICH_BUILD_URL=https://github.com/immich-app/immich/actions/runs/1234567890
export IMMICH_BUILD_IMAGE=e2e
export IMMICH_BUILD_IMAGE_URL=https://github.com/immich-app/immich/pkgs/container/immich-server
export IMMICH_REPOSITORY=immich-app/immich
export IMMICH_REPOSITORY_URL=https://github.com/immich-app/immich
export IMMICH_SOURCE_REF=e2e
export IMMICH_SOURCE_COMMIT=e2eeeeeeeeeeeeeeeeee
export IMMICH_SOURCE_URL=https://github.com/immich-app/immich/commit/e2eeeeeeeeeeeeeeeeee
# Immich's e2e image serves its web app (shared-link.e2e-spec.ts reads the /share/<key> pages): serve the
# build of scripts/build-immich-web.sh when there is one.
web=${ALBUMEN_WEB_DIR:-$HOME/.cache/albumen/immich-web-3.1.0}
[ -f "$web/index.html" ] && export ALBUMEN_WEB_DIR="$web"
PYTHONPATH="$here/src" exec "${ALBUMEN_PYTHON:-$here/.venv/bin/python}" -m albumen.cli.main "$@"
