// The customer baseline's cost at an event start: reading 31 days of grid-import history from a
// ReadingStore (one grid_power reading a minute, so past the 10 days of raw retention it is
// 5-minute aggregates) and computing both CBL methods from it. Prints figures; asserts nothing.
// Run after `pnpm exec tsc -b`: node bench/dr-baseline.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { averageDayBaseline, highFiveOfTenBaseline } = await import(
  path.join(ROOT, 'packages/aggregator/dist/index.js')
);
const { ReadingStore } = await import(path.join(ROOT, 'packages/store/dist/index.js'));
const { ManualClock, zonedToUtc } = await import(path.join(ROOT, 'packages/core/dist/index.js'));
const { gridImportHourly, BASELINE_HISTORY_DAYS } = await import(path.join(ROOT, 'addon/dist/dr/grid-history.js'));

const TZ = 'America/New_York';
const HOUR = 3_600_000;
const event = zonedToUtc(TZ, 2026, 3, 16, 16);
const from = event - BASELINE_HISTORY_DAYS * 24 * HOUR;

const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-cbl-'));
const clock = new ManualClock(from);
const store = ReadingStore.open({
  path: path.join(dir, 'readings.sqlite'),
  clock,
  flushIntervalMs: HOUR,
  pruneIntervalMs: 24 * HOUR,
});
try {
  for (let hour = from; hour < event; hour += HOUR) {
    await clock.advance(HOUR);
    for (let t = hour; t < hour + HOUR; t += 60_000) {
      store.append('sungrow', { timestamp: t, values: { grid_power: 800 + 400 * Math.sin(t / 7_200_000) } });
    }
    store.flush();
  }
  store.prune();

  const query = { deviceId: 'sungrow', key: 'grid_power', fromMs: from, toMs: event, timeZone: TZ };
  const time = (runs, fn) => {
    for (let i = 0; i < 3; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) fn();
    return (performance.now() - t0) / runs;
  };
  let hourly = [];
  const readMs = time(20, () => (hourly = gridImportHourly(store, query)));
  const input = { eventStartMs: event, eventEndMs: event + 4 * HOUR, timeZone: TZ, hourly, eventDays: [] };
  const averageMs = time(100, () => averageDayBaseline(input));
  const highMs = time(100, () => highFiveOfTenBaseline(input));
  console.log(
    `history: ${hourly.length} hours read in ${readMs.toFixed(1)} ms (31 days, 1-minute readings, 5-minute aggregates)`,
  );
  console.log(`average_day CBL: ${averageMs.toFixed(2)} ms; high_5_of_10 CBL: ${highMs.toFixed(2)} ms (4 h event)`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
