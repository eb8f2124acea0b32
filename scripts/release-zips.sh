#!/usr/bin/env bash
# Builds the HACS release files (issue 15, item 6) into OUT_DIR (default: dist/release):
#
#   bash scripts/release-zips.sh [OUT_DIR]
#
#   smart_power_station.zip   the integration for HACS `zip_release` (hacs.json `filename`): the files of
#                             integration-bridge/custom_components/smart_power_station at the zip's root, because HACS
#                             unpacks the asset straight into custom_components/smart_power_station/. Also what a
#                             user unzips there to install by hand.
#   hacs-repository/          the tree of the companion HACS repository: custom_components/smart_power_station/,
#                             hacs.json and a README. HACS installs an integration only from a repository with
#                             custom_components/<domain>/ at its root, and refuses a repository that has no such
#                             folder but a repository.yaml (an add-on repository) — which this one is (README,
#                             "Home Assistant Container or Core: HACS").
#   smart-power-station-cards.js
#                             the Lovelace cards' bundle (lovelace/dist, built by `pnpm build`); skipped, with a
#                             line saying so, when it has not been built.
#
# The zip is reproducible: entries sorted, fixed timestamps and permissions, no __pycache__ or .pyc. It is written
# with Python's zipfile (python3 is in scripts/setup.sh's apt list), so no zip tool is needed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$PWD"
OUT_DIR="${1:-dist/release}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"

DOMAIN=smart_power_station
INTEGRATION="$REPO_ROOT/integration-bridge/custom_components/$DOMAIN"
ZIP_NAME="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["filename"])' "$REPO_ROOT/hacs.json")"

[ -f "$INTEGRATION/manifest.json" ] || {
  echo "release-zips: $INTEGRATION/manifest.json is missing" >&2
  exit 1
}

# The Lovelace cards' bundle (`pnpm build` runs lovelace/scripts/bundle.mjs after tsc -b): a release file of its own
# (HACS plugin, manual install) and, inside the integration, frontend/smart-power-station-cards.js, which the
# integration serves and loads on every dashboard.
# SPS_CARDS_DIST: another bundle folder (tests/packaging/hacs.test.ts uses one for each case).
CARDS_DIST="${SPS_CARDS_DIST:-$REPO_ROOT/lovelace/dist}"
CARDS_BUNDLE=""
if [ -d "$CARDS_DIST" ]; then
  mapfile -t bundles < <(find "$CARDS_DIST" -maxdepth 1 -name '*.js' | sort)
  if [ "${#bundles[@]}" -ne 1 ]; then
    echo "release-zips: expected one .js bundle in lovelace/dist, found ${#bundles[@]}" >&2
    exit 1
  fi
  CARDS_BUNDLE="${bundles[0]}"
fi

# The integration's files, without bytecode caches, and the cards' bundle in its frontend/ folder.
python3 - "$INTEGRATION" "$OUT_DIR/$ZIP_NAME" "$CARDS_BUNDLE" <<'PY'
import os
import sys
import zipfile

source, target, cards = sys.argv[1], sys.argv[2], sys.argv[3]
files = []
for folder, dirs, names in os.walk(source):
    dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
    for name in names:
        if name.endswith((".pyc", ".pyo")) or name.startswith("."):
            continue
        path = os.path.join(folder, name)
        files.append((os.path.relpath(path, source).replace(os.sep, "/"), path))
if cards:
    files = [f for f in files if f[0] != "frontend/smart-power-station-cards.js"]
    files.append(("frontend/smart-power-station-cards.js", cards))
files.sort()

tmp = target + ".tmp"
with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    for arcname, path in files:
        info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with open(path, "rb") as handle:
            archive.writestr(info, handle.read())
os.replace(tmp, target)
print(f"{os.path.basename(target)}: {len(files)} files, {os.path.getsize(target)} bytes")
PY

# The companion HACS repository's tree.
HACS_TREE="$OUT_DIR/hacs-repository"
rm -rf "$HACS_TREE"
mkdir -p "$HACS_TREE/custom_components"
(cd "$INTEGRATION/.." && tar --exclude=__pycache__ --exclude='*.pyc' -cf - "$DOMAIN") | tar -xf - -C "$HACS_TREE/custom_components"
cp "$REPO_ROOT/hacs.json" "$HACS_TREE/hacs.json"
cp "$REPO_ROOT/integration-bridge/README.md" "$HACS_TREE/README.md"
echo "hacs-repository/: custom_components/$DOMAIN, hacs.json, README.md"

if [ -n "$CARDS_BUNDLE" ]; then
  mkdir -p "$HACS_TREE/custom_components/$DOMAIN/frontend"
  cp "$CARDS_BUNDLE" "$HACS_TREE/custom_components/$DOMAIN/frontend/smart-power-station-cards.js"
  cp "$CARDS_BUNDLE" "$OUT_DIR/smart-power-station-cards.js"
  echo "smart-power-station-cards.js: from lovelace/dist/$(basename "$CARDS_BUNDLE") (also in the integration's frontend/)"
else
  echo "cards: skipped (lovelace/dist does not exist: run pnpm build first)"
fi
