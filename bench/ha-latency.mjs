// Benchmark: latency from a change in a Sungrow simulator to the new state in a real Home
// Assistant, through the whole chain: Modbus poll by the real add-on process (`sps run`,
// poll interval 1 s) → hub → packages/ha (coalescing) → bridge → HA state machine.
// Two kinds of entity: a control (backup reserve; sent at once) and a measurement (load power;
// coalesced to ≤ 1 write/s). Prints p50/p95; asserts nothing. Needs .venv (scripts/setup.sh)
// and a build (pnpm exec tsc -b). SPS_BENCH_SAMPLES sets the samples per kind (default 20).
/* global performance, setTimeout */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startHass, venvAvailable } = require('../tests/e2e/harness/hass.cjs');
const { connectToHa } = require('../packages/ha/dist/index.js');
const { ManualClock } = require('../packages/core/dist/index.js');
const { SungrowSimulator, HOLDING } = require('../packages/devices/sungrow/dist/index.js');

const SAMPLES = Number(process.env.SPS_BENCH_SAMPLES ?? 20);
const SERIAL = 'BENCHLAT01';

if (!venvAvailable()) {
  console.log('ha-latency: skipped (no .venv with homeassistant; run scripts/setup.sh)');
  process.exit(0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-latency-'));
const clock = new ManualClock('2026-01-15T02:00:00Z');
const sim = new SungrowSimulator({ clock, serial: SERIAL });
const simPort = await sim.start({ host: '127.0.0.1', port: 0 });
const optionsFile = path.join(tmp, 'options.yaml');
writeFileSync(
  optionsFile,
  [
    'log_level: warning',
    'devices:',
    '  - name: Inverter',
    '    driver: sungrow-sh',
    '    host: 127.0.0.1',
    `    port: ${simPort}`,
    '    poll_interval_s: 1',
  ].join('\n'),
);
const hass = await startHass();
const addon = spawn(
  process.execPath,
  [
    path.join(root, 'addon/dist/cli.js'),
    'run',
    '--config',
    optionsFile,
    '--data-dir',
    path.join(tmp, 'data'),
    '--port',
    '0',
    '--ha-url',
    hass.wsUrl,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SPS_HA_TOKEN: hass.token } },
);
let observer;
try {
  observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
  let byUniqueId = new Map();
  for (let i = 0; i < 200 && !byUniqueId.has(`${SERIAL}_load_power`); i++) {
    await sleep(100);
    const registry = await observer.sendMessagePromise({ type: 'config/entity_registry/list' });
    byUniqueId = new Map(registry.map((e) => [e.unique_id, e.entity_id]));
  }
  const reserveId = byUniqueId.get(`${SERIAL}_backup_reserve`);
  const loadId = byUniqueId.get(`${SERIAL}_load_power`);
  if (!reserveId || !loadId) throw new Error('the add-on did not declare the inverter in time');

  let waiting = null; // { entityId, accept(state) → bool, resolve }
  await observer.subscribeEvents((ev) => {
    const s = ev.data.new_state;
    if (waiting && s && ev.data.entity_id === waiting.entityId && waiting.accept(s.state)) {
      const w = waiting;
      waiting = null;
      w.resolve(performance.now());
    }
  }, 'state_changed');
  const seen = (entityId, accept) =>
    new Promise((resolve) => {
      waiting = { entityId, accept, resolve };
    });
  await sleep(2000); // let the first declaration and states settle

  const measure = async (label, entityId, change) => {
    const latencies = [];
    for (let i = 0; i < SAMPLES; i++) {
      // Changes land at random points of the poll cycle, as real ones do.
      await sleep(300 + Math.random() * 1000);
      const { accept, apply } = await change(i);
      const arrived = seen(entityId, accept);
      const t0 = performance.now();
      apply();
      const timeout = sleep(10_000).then(() => null);
      const t1 = await Promise.race([arrived, timeout]);
      if (t1 === null) throw new Error(`${label}: no state change within 10 s`);
      latencies.push(t1 - t0);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(40)} p50 ${percentile(latencies, 50).toFixed(0).padStart(5)} ms   ` +
        `p95 ${percentile(latencies, 95).toFixed(0).padStart(5)} ms   max ${latencies.at(-1).toFixed(0).padStart(5)} ms   (n=${SAMPLES})`,
    );
  };

  console.log(`simulator change → HA state (real HA ${(await hass.api('/api/config')).body.version}, poll 1 s)`);
  await measure('control: backup reserve (sent at once)', reserveId, (i) => {
    const pct = 20 + (i % 2) * 10 + i / 10; // always a new value
    return {
      accept: (s) => Number(s) === pct,
      apply: () => sim.setHoldingRegister(HOLDING.MIN_SOC, Math.round(pct * 10)),
    };
  });
  await measure('measurement: load power (≤ 1 write/s)', loadId, async () => {
    const before = (await hass.api(`/api/states/${loadId}`)).body.state;
    return {
      accept: (s) => s !== before && s !== 'unavailable',
      // Move the simulated house on by a few minutes: a different load.
      apply: () => clock.set(clock.now() + 7 * 60_000),
    };
  });
  console.log('(the poll interval bounds most of it: a change waits 0–1 s for the next poll)');
} finally {
  observer?.close();
  addon.kill('SIGTERM');
  await new Promise((r) => addon.once('exit', r));
  await hass.remove();
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
}
