# Smart Power Station: the Home Assistant add-on ("app") image.
# https://developers.home-assistant.io/docs/apps/configuration#app-dockerfile
#
#   docker build -t smart-power-station .
#
# Builds natively for the architecture being built (amd64 or arm64/aarch64); no cross-compiling is needed. The two
# native modules, i2c-bus (the INA260's Linux I2C bus) and socketcan (SocketCAN for the Studer and Pylontech; the store
# uses node:sqlite), are compiled from source in the build stage against this Node's own headers, so nothing is
# downloaded and they match the runtime's Node and musl.
#
# Where Node 22 comes from: the HA base image is Alpine without Node, and Alpine's own `nodejs` package is whatever
# Node release that Alpine branch carries, which is not 22 on every branch. The official node:22-alpine image is
# Node 22 built for musl on the same Alpine branch as the base image, so its binary is copied into the base image
# (it needs only libstdc++ there). Keep the two Alpine versions in step.
ARG NODE_IMAGE=node:22-alpine3.23
ARG BASE_IMAGE=ghcr.io/home-assistant/base:3.23

FROM ${NODE_IMAGE} AS node22

# ---- build: install the workspace, compile it, then drop the development dependencies -------------------------
FROM node22 AS build
SHELL ["/bin/sh", "-eo", "pipefail", "-c"]
WORKDIR /src

# The pnpm version of package.json's packageManager field. python3, make, g++ and linux-headers: node-gyp compiles
# i2c-bus (its C++ uses <linux/i2c-dev.h>) and socketcan (<linux/can.h>).
# hadolint ignore=DL3018
RUN apk add --no-cache python3 make g++ linux-headers \
  && npm install --global --no-fund --no-audit pnpm@10.34.9

# The lock file alone decides which packages are downloaded: this layer is reused until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

COPY . .
# --ignore-scripts: the only install scripts in the lock file belong to development tools, among them the root
# devDependency `node`, which downloads a glibc Node for developers' machines; this image has its own Node 22.
# The compiler runs through this image's node directly for the same reason (pnpm's scripts would find that
# package's `node` first on PATH).
# `pnpm install --prod` over a full install would leave the development packages in node_modules/.pnpm, so the
# production install starts from no node_modules at all.
# i2c-bus (optional dependency of packages/devices/ina260; its install script is one of those skipped) is built with
# the workspace's node-gyp (a development dependency) and --nodedir=/usr/local, where this image keeps Node's
# headers, so node-gyp downloads none. The compiled i2c.node is set aside across the production install, put back
# into the package, and loaded once to prove it works with this Node. socketcan (optional dependency of packages/can)
# goes the same way; its two modules (can.node, can_signals.node) are set aside together.
RUN pnpm install --offline --frozen-lockfile --ignore-scripts \
  && node node_modules/typescript/bin/tsc --build \
  && node lovelace/scripts/bundle.mjs \
  && I2C_BUS="$(node -p "require('path').dirname(require.resolve('i2c-bus/package.json', {paths: ['packages/devices/ina260']}))")" \
  && node node_modules/node-gyp/bin/node-gyp.js rebuild --directory="$I2C_BUS" --nodedir=/usr/local \
  && cp "$I2C_BUS/build/Release/i2c.node" /tmp/i2c.node \
  && SOCKETCAN="$(node -p "require('path').dirname(require.resolve('socketcan/package.json', {paths: ['packages/can']}))")" \
  && node node_modules/node-gyp/bin/node-gyp.js rebuild --directory="$SOCKETCAN" --nodedir=/usr/local \
  && mkdir -p /tmp/socketcan && cp "$SOCKETCAN"/build/Release/*.node /tmp/socketcan/ \
  && find . -name node_modules -type d -prune -exec rm -rf {} + \
  && pnpm install --offline --frozen-lockfile --ignore-scripts --prod \
  && I2C_BUS="$(node -p "require('path').dirname(require.resolve('i2c-bus/package.json', {paths: ['packages/devices/ina260']}))")" \
  && mkdir -p "$I2C_BUS/build/Release" \
  && mv /tmp/i2c.node "$I2C_BUS/build/Release/i2c.node" \
  && node -e "require(process.argv[1])" "$I2C_BUS" \
  && SOCKETCAN="$(node -p "require('path').dirname(require.resolve('socketcan/package.json', {paths: ['packages/can']}))")" \
  && mkdir -p "$SOCKETCAN/build/Release" \
  && mv /tmp/socketcan/*.node "$SOCKETCAN/build/Release/" \
  && node -e "require(process.argv[1])" "$SOCKETCAN" \
  && find . -name '*.tsbuildinfo' -delete \
  && rm -rf tests bench

# ---- run: the HA base image with Node 22, the compiled workspace and its production dependencies ----------------
FROM ${BASE_IMAGE}

# Not pinned: Alpine's repository keeps only the current build of a package, so a pinned version breaks the build
# at its next security update; the base image's tag already fixes the Alpine branch. libstdc++ is all Node and the
# compiled i2c-bus and socketcan need; the built modules come along with /src (node_modules/.pnpm/*/…/build/Release).
# hadolint ignore=DL3018
RUN apk add --no-cache libstdc++

COPY --from=node22 /usr/local/bin/node /usr/local/bin/node
COPY --from=build /src /app
# `sps` on PATH for diagnostics inside the container (`sps read sungrow-sh --host …`).
RUN printf '#!/bin/sh\nexec node /app/addon/dist/cli.js "$@"\n' >/usr/local/bin/sps \
  && chmod 0755 /usr/local/bin/sps

ARG BUILD_VERSION=0.2.0
LABEL \
  io.hass.version="${BUILD_VERSION}" \
  io.hass.type="app" \
  io.hass.arch="aarch64|amd64" \
  org.opencontainers.image.title="Smart Power Station" \
  org.opencontainers.image.description="Turns your home batteries, inverters and relays into one programmable storage system" \
  org.opencontainers.image.licenses="Apache-2.0"

ENV NODE_ENV=production
WORKDIR /app

# One process, so no process supervisor: the base image's s6-overlay /init is not used, and config.yaml leaves
# `init` at its default, which gives the container Docker's tini as PID 1 to pass SIGTERM on and reap children.
# Under the Supervisor the add-on reads /data/options.json itself and keeps its store in /data.
ENTRYPOINT []
CMD ["node", "/app/addon/dist/cli.js", "run"]

# The Supervisor watches the container's health and restarts the add-on when it turns unhealthy and the user keeps
# its Watchdog switch on (this replaces config.yaml's obsolete `watchdog` URL). /api/health answers 200 whenever the
# HTTP server runs, also while a device is offline ("degraded"), so only a hung or dead add-on fails it; loopback is
# one of the addresses the add-on answers under the Supervisor (addon/src/http/ingress-guard.ts). The start period
# covers the first start's store migration; three misses in a row, a minute and a half, count as hung.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8099/api/health',{signal:AbortSignal.timeout(8000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
