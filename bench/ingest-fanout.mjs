// Readings ingested per second into the store and fanned out to N subscribers through the
// add-on's hub, with 50 devices × 30 readings a poll. Prints figures; asserts nothing.
// Needs the built workspace (`pnpm bench` builds first).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { ReadingHub } = require('../addon/dist/hub.js');
const { ReadingStore } = require('../packages/store/dist/index.js');

const DEVICES = 50;
const READINGS_PER_DEVICE = 30;
const POLLS = Number(process.env.SPS_BENCH_POLLS ?? 60);
const RUNS = 5;
const SUBSCRIBER_COUNTS = [1, 10, 100];

const deviceIds = Array.from({ length: DEVICES }, (_, d) => `device_${String(d).padStart(2, '0')}`);
const keys = Array.from({ length: READINGS_PER_DEVICE }, (_, k) => `reading_${String(k).padStart(2, '0')}`);

/** POLLS rounds of every device's readings, timestamped over the last POLLS × 5 s so retention keeps them. */
function buildInput() {
  const start = Date.now() - POLLS * 5000;
  const sets = [];
  for (let p = 0; p < POLLS; p++) {
    for (let d = 0; d < DEVICES; d++) {
      const values = {};
      for (let k = 0; k < keys.length; k++) values[keys[k]] = Math.sin(p * 0.01 + d + k) * 1000;
      sets.push({ timestamp: start + p * 5000, values });
    }
  }
  return sets;
}

/** One run; with `withStore` the time includes the final flush to SQLite (WAL, on disk). */
function runOnce(subscribers, withStore) {
  const sets = buildInput();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-ingest-'));
  let problems = 0;
  const store = withStore
    ? ReadingStore.open({ path: path.join(dir, 'bench.sqlite'), flushIntervalMs: 60_000, onProblem: () => problems++ })
    : undefined;
  const hub = new ReadingHub();
  if (store) hub.on('readings', ({ deviceId, readings }) => store.append(deviceId, readings));
  // Each subscriber does what a consumer does at least once per event: look at every value.
  let seen = 0;
  for (let s = 0; s < subscribers; s++) {
    hub.on('readings', ({ readings }) => {
      for (const key in readings.values) if (readings.values[key] !== null) seen++;
    });
  }

  const t0 = performance.now();
  let i = 0;
  for (let p = 0; p < POLLS; p++) {
    for (let d = 0; d < DEVICES; d++) hub.publishReadings(deviceIds[d], sets[i++]);
  }
  store?.flush();
  const seconds = (performance.now() - t0) / 1000;
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  if (problems > 0) throw new Error(`the store reported ${problems} problems`);
  if (seen !== POLLS * DEVICES * READINGS_PER_DEVICE * subscribers) throw new Error('a subscriber missed readings');
  return seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const values = POLLS * DEVICES * READINGS_PER_DEVICE;
const rate = (t) => `${Math.round(values / t).toLocaleString('en')} readings/s`;

console.log('# ingest-fanout: hub → SQLite store + N subscribers');
console.log(
  `problem: ${DEVICES} devices × ${READINGS_PER_DEVICE} readings × ${POLLS} polls = ${values.toLocaleString('en')} readings per run, median of ${RUNS} runs`,
);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} · ${os.cpus().length} cores · node ${process.version}`);
runOnce(1, true); // warm-up: JIT and file system
for (const subscribers of SUBSCRIBER_COUNTS) {
  const withStore = median(Array.from({ length: RUNS }, () => runOnce(subscribers, true)));
  const hubOnly = median(Array.from({ length: RUNS }, () => runOnce(subscribers, false)));
  console.log(
    `subscribers ${String(subscribers).padStart(3)}: store + fan-out ${rate(withStore).padStart(20)} ` +
      `(${(withStore * 1000).toFixed(0)} ms) · fan-out only ${rate(hubOnly).padStart(22)}`,
  );
}
const realTime = (DEVICES * READINGS_PER_DEVICE) / 5;
console.log(`for scale: 50 devices polled every 5 s produce ${realTime} readings/s`);
