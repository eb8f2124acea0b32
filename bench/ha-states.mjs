// Benchmark: state updates per second from packages/ha into a real HA's state machine,
/* global performance, setTimeout */
// 50 devices × 20 entities, and the latency from publishReadings to the HA state (p50/p95).
// Needs .venv (scripts/setup.sh) and a build (pnpm exec tsc -b packages/ha). Prints figures only.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { startHass } = require('../tests/e2e/harness/hass.cjs');
const { HaBridgeClient, silentLogger, connectToHa } = require('../packages/ha/dist/index.js');

const DEVICES = 50;
const ENTITIES = 20;
const ROUNDS = Number(process.env.SPS_BENCH_ROUNDS ?? 10);

const devices = Array.from({ length: DEVICES }, (_, d) => ({
  id: `bench-${d}`,
  info: { manufacturer: 'Bench', model: `M${d}`, serial: `BENCH${String(d).padStart(4, '0')}` },
  entities: Array.from({ length: ENTITIES }, (_, e) => ({
    key: `power_${e}`,
    platform: 'sensor',
    name: `Power ${e}`,
    deviceClass: 'power',
    stateClass: 'measurement',
    unit: 'W',
  })),
}));

const hass = await startHass();
const client = new HaBridgeClient({ url: hass.wsUrl, token: hass.token, addonVersion: 'bench', logger: silentLogger });
try {
  await client.declare(devices);
  client.start();
  await client.waitForStatus('ready');
  const observer = await connectToHa({ url: hass.wsUrl, token: hass.token });

  // Map entity_id → (device, key) and watch state_changed events for latency.
  const registry = await observer.sendMessagePromise({ type: 'config/entity_registry/list' });
  const byEntity = new Map(
    registry.filter((e) => e.unique_id.startsWith('BENCH')).map((e) => [e.entity_id, e.unique_id]),
  );
  const pending = new Map(); // unique_id + value -> sent time
  const latencies = [];
  let applied = 0;
  await observer.subscribeEvents((ev) => {
    const uid = byEntity.get(ev.data.entity_id);
    if (!uid || !ev.data.new_state) return;
    const sent = pending.get(`${uid}=${ev.data.new_state.state}`);
    if (sent === undefined) return;
    latencies.push(performance.now() - sent);
    applied++;
  }, 'state_changed');

  const total = DEVICES * ENTITIES;
  const started = performance.now();
  const roundMs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const target = applied + total;
    const roundStart = performance.now();
    for (const device of devices) {
      const values = {};
      for (let e = 0; e < ENTITIES; e++) {
        const value = round * 1000 + e;
        values[`power_${e}`] = value;
        pending.set(`${device.info.serial}_power_${e}=${value}`, performance.now());
      }
      client.publishReadings(device.id, { timestamp: Date.now(), values });
    }
    const deadline = performance.now() + 30_000;
    while (applied < target && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    roundMs.push(performance.now() - roundStart);
    // The coalescer allows one write per entity per second; wait out the window.
    await new Promise((r) => setTimeout(r, 1000));
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  // Throughput of the burst itself: every round delivers `total` states, then idles for the throttle window.
  console.log(`ha-states: ${DEVICES} devices × ${ENTITIES} entities, ${ROUNDS} rounds, HA ${observer.haVersion}`);
  console.log(
    `  states applied in HA: ${applied} of ${total * ROUNDS} in ${elapsed.toFixed(1)} s (incl. 1 s throttle per round)`,
  );
  roundMs.sort((a, b) => a - b);
  const medianRound = roundMs[Math.floor(roundMs.length / 2)];
  console.log(
    `  throughput: ${(total / (medianRound / 1000)).toFixed(0)} states/s (median round: ${total} states in ${medianRound.toFixed(0)} ms; slowest ${roundMs.at(-1).toFixed(0)} ms)`,
  );
  console.log(
    `  latency publishReadings → HA state: p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms`,
  );
  observer.close();
} finally {
  await client.stop();
  await hass.remove();
}
