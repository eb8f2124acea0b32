// @ts-check
/* global fetch, setTimeout, clearTimeout */
/**
 * Starts a real Home Assistant core from the project's .venv for end-to-end tests and
 * benchmarks: a temporary config dir, a free loopback port, an admin long-lived token minted
 * before start (mint_token.py), the bridge copied into custom_components, and
 * `smart_power_station:` in configuration.yaml so its config entry exists without a click. The
 * cards' bundle, when built, goes into the bridge's frontend/ folder (what the add-on's installer does).
 * Plain CommonJS so both jest (TypeScript tests) and bench/*.mjs can use it.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');
const VENV = path.join(ROOT, '.venv');
const BRIDGE = path.join(ROOT, 'integration-bridge/custom_components/smart_power_station');
/** The Lovelace cards' bundle (`pnpm build`); copied into the bridge as the add-on's installer does. */
const CARDS_BUNDLE = path.join(ROOT, 'lovelace/dist/smart-power-station-cards.js');

function venvAvailable() {
  return fs.existsSync(path.join(VENV, 'bin/hass'));
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** @param {number} port @param {string} extraYaml */
function configurationYaml(port, extraYaml) {
  return [
    'homeassistant:',
    '  name: SPS e2e',
    '  latitude: -33.87',
    '  longitude: 151.21',
    '  elevation: 0',
    '  unit_system: metric',
    '  time_zone: UTC',
    '  currency: AUD',
    '  country: AU',
    'http:',
    '  server_host: 127.0.0.1',
    `  server_port: ${port}`,
    'api:',
    'config:',
    'websocket_api:',
    'smart_power_station:',
    'logger:',
    '  default: warning',
    '  logs:',
    '    custom_components.smart_power_station: debug',
    extraYaml,
    '',
  ].join('\n');
}

/**
 * @param {{ extraYaml?: string, configDir?: string, port?: number, startTimeoutMs?: number }} [options]
 * @returns {Promise<import('./hass.d.cts').HassInstance>}
 */
async function startHass(options = {}) {
  if (!venvAvailable()) throw new Error(`no Home Assistant venv at ${VENV}; run scripts/setup.sh`);
  const port = options.port ?? (await freePort());
  let configDir = options.configDir;
  let token;
  if (!configDir) {
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sps-hass-'));
    fs.cpSync(BRIDGE, path.join(configDir, 'custom_components/smart_power_station'), {
      recursive: true,
      filter: (src) => !src.includes('__pycache__'),
    });
    if (fs.existsSync(CARDS_BUNDLE)) {
      const frontend = path.join(configDir, 'custom_components/smart_power_station/frontend');
      fs.mkdirSync(frontend, { recursive: true });
      fs.copyFileSync(CARDS_BUNDLE, path.join(frontend, path.basename(CARDS_BUNDLE)));
    }
    fs.writeFileSync(path.join(configDir, 'configuration.yaml'), configurationYaml(port, options.extraYaml ?? ''));
    token = execFileSync(path.join(VENV, 'bin/python'), [path.join(__dirname, 'mint_token.py'), configDir], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    fs.writeFileSync(path.join(configDir, '.e2e-token'), token ?? '');
  } else {
    token = fs.readFileSync(path.join(configDir, '.e2e-token'), 'utf8');
  }
  const logPath = path.join(configDir, 'hass-stdout.log');
  const log = fs.openSync(logPath, 'a');
  const child = spawn(path.join(VENV, 'bin/hass'), ['-c', configDir, '--skip-pip', '--log-no-color'], {
    stdio: ['ignore', log, log],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  fs.closeSync(log);
  const baseUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const instance = {
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/api/websocket`,
    token: token ?? '',
    configDir,
    port,
    pid: child.pid ?? -1,
    logPath,
    /** @param {string} p @param {RequestInit} [init] */
    async api(p, init = {}) {
      const res = await fetch(`${baseUrl}${p}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      });
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.status, body };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    },
    /** Stop (if running) and delete the temporary config dir. */
    async remove() {
      await instance.stop();
      fs.rmSync(configDir, { recursive: true, force: true });
    },
    readLog() {
      return fs.readFileSync(logPath, 'utf8');
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hass exited with ${child.exitCode}; see ${logPath}`);
    try {
      const { status, body } = await instance.api('/api/config');
      if (status === 200 && body && body.state === 'RUNNING') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`hass did not reach RUNNING within the timeout; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return instance;
}

module.exports = { startHass, venvAvailable, freePort, ROOT, CARDS_BUNDLE };
