#!/usr/bin/env bash
# Runs the Dockerfile's build steps natively on a clean export of HEAD and prints how long each took and how big
# the result is: the figures README.md and DOCS.md quote for the local build path, measured where Docker does not
# run (no daemon on the project's machines). Uses the workspace's Node 22 and pnpm's store (offline: the packages
# must already be in the store, as after `bash scripts/setup.sh`; `pnpm fetch`'s download is not timed).
#
#   bash scripts/measure-local-build.sh [WORK_DIR]     # default: a new temporary folder, removed afterwards
#
# What it cannot measure: the musl Node binary of node:22-alpine and the HA base image (neither can be pulled
# without Docker), and the time on a Raspberry Pi. The glibc Node binary's size is printed as the nearest figure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$PWD"
WORK="${1:-}"
if [ -z "$WORK" ]; then
  WORK="$(mktemp -d /tmp/sps-measure-XXXXXX)"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"
NODE="$REPO_ROOT/node_modules/.bin/node"

# A folder with include/node/ for node-gyp, where scripts/setup.sh finds or caches one (SPS_NODEDIR overrides).
NODEDIR="${SPS_NODEDIR:-}"
for candidate in "$(readlink -f "$REPO_ROOT/node_modules/node")/node_modules/node-linux-$("$NODE" -p process.arch)" \
  "$REPO_ROOT"/.cache/node-headers/v*; do
  if [ -z "$NODEDIR" ] && [ -f "$candidate/include/node/node.h" ]; then NODEDIR="$candidate"; fi
done
if [ -z "$NODEDIR" ]; then
  echo "measure-local-build: no Node headers; run bash scripts/setup.sh (it caches them) or set SPS_NODEDIR" >&2
  exit 1
fi

git archive HEAD | tar -x -C "$WORK"
cd "$WORK"
printf 'sources: %s\n' "$(du -sh --apparent-size . | cut -f1)"

timed() {
  local label="$1" started ended
  shift
  started="$(date +%s%N)"
  "$@" >>"$WORK/.measure.log" 2>&1
  ended="$(date +%s%N)"
  printf '%-28s %6.1f s\n' "$label" "$(((ended - started) / 1000000))e-3"
}
i2c_bus() { "$NODE" -p "require('path').dirname(require.resolve('i2c-bus/package.json', {paths: ['packages/devices/ina260']}))"; }

timed 'pnpm install (offline)' pnpm install --offline --frozen-lockfile --ignore-scripts
timed 'tsc --build' "$NODE" node_modules/typescript/bin/tsc --build
timed 'lovelace bundle (esbuild)' "$NODE" lovelace/scripts/bundle.mjs
I2C_BUS="$(i2c_bus)"
timed 'node-gyp i2c-bus' "$NODE" node_modules/node-gyp/bin/node-gyp.js rebuild --directory="$I2C_BUS" --nodedir="$NODEDIR"
cp "$I2C_BUS/build/Release/i2c.node" "$WORK/.i2c.node"
find . -name node_modules -type d -prune -exec rm -rf {} +
timed 'pnpm install --prod' pnpm install --offline --frozen-lockfile --ignore-scripts --prod
I2C_BUS="$(i2c_bus)"
mkdir -p "$I2C_BUS/build/Release"
mv "$WORK/.i2c.node" "$I2C_BUS/build/Release/i2c.node"
"$NODE" -e "require(process.argv[1])" "$I2C_BUS"
find . -name '*.tsbuildinfo' -delete
rm -rf tests bench .measure.log

printf '/app (what the image copies): %s apparent, %s on disk, %s files; node_modules %s on disk\n' \
  "$(du -sh --apparent-size . | cut -f1)" "$(du -sh . | cut -f1)" "$(find . -type f | wc -l)" \
  "$(du -sh node_modules | cut -f1)"
printf 'Node %s binary (glibc, the nearest to node:22-alpine'"'"'s musl one): %s\n' \
  "$("$NODE" --version)" "$(du -sh --apparent-size "$("$NODE" -p process.execPath)" | cut -f1)"
