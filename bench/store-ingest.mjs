// Readings ingested per second into @sps/store: 50 devices × 30 readings, one poll a second
// in simulated time, flushed once per simulated second (the store's default flush interval),
// so every 5-minute roll-up happens along the way. Prints figures; asserts nothing.
// Needs the built store: `pnpm exec tsc -b packages/store` (or `pnpm bench`).
//   SPS_BENCH_POLLS=600   simulated seconds per run (default 600 = 10 minutes)
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { ReadingStore } = require('../packages/store/dist/index.js');
const { loadSqlite } = require('../packages/store/dist/sqlite.js');

const DEVICES = 50;
const READINGS_PER_DEVICE = 30;
const POLLS = Number(process.env.SPS_BENCH_POLLS ?? 600);
const RUNS = 5;
const START = Date.UTC(2026, 0, 1);

const deviceIds = Array.from({ length: DEVICES }, (_, d) => `device_${String(d).padStart(2, '0')}`);
const keys = Array.from({ length: READINGS_PER_DEVICE }, (_, k) => `reading_${String(k).padStart(2, '0')}`);

/** Time moves only when the benchmark says; the store's own timers never fire. */
function simulatedClock() {
  let now = START;
  const idle = { cancel() {} };
  return {
    now: () => now,
    set: (t) => (now = t),
    setTimeout: () => idle,
    setInterval: () => idle,
    sleep: () => Promise.resolve(),
  };
}

/** Realistic values: powers in W (integral), SOC/temperatures with a decimal, energy counters rising. */
function readingSet(poll, device, t) {
  const values = {};
  for (let k = 0; k < READINGS_PER_DEVICE; k++) {
    const kind = k % 3;
    values[keys[k]] =
      kind === 0
        ? Math.round(Math.sin(poll / 300 + device + k) * 3000)
        : kind === 1
          ? Math.round((50 + Math.sin(poll / 900 + k) * 40) * 10) / 10
          : 1_000_000 + poll * (k + 1);
  }
  return { timestamp: t, values };
}

function fileSize(p) {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** Bytes this process has caused to be written to storage (Linux); undefined elsewhere. */
function writtenBytes() {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

function runOnce() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-store-'));
  const dbPath = path.join(dir, 'bench.sqlite');
  const clock = simulatedClock();
  let problems = 0;
  const store = ReadingStore.open({ path: dbPath, clock, onProblem: () => problems++ });
  // Input built up front so the figure measures the store, not test-data generation.
  const polls = [];
  for (let p = 0; p < POLLS; p++) polls.push(deviceIds.map((_, d) => readingSet(p, d, START + p * 1000)));

  const flushMs = [];
  const writtenBefore = writtenBytes();
  const begin = performance.now();
  for (let p = 0; p < POLLS; p++) {
    const t = START + p * 1000;
    const sets = polls[p];
    for (let d = 0; d < DEVICES; d++) store.append(deviceIds[d], sets[d]);
    clock.set(t + 999); // the flush timer's moment
    const f = performance.now();
    store.flush();
    flushMs.push(performance.now() - f);
  }
  const elapsedMs = performance.now() - begin;
  const readings = POLLS * DEVICES * READINGS_PER_DEVICE;
  store.close(); // the last connection to close checkpoints the WAL into the main file
  const writtenAfter = writtenBytes();
  const written = writtenBefore === undefined || writtenAfter === undefined ? undefined : writtenAfter - writtenBefore;

  const tables = inspectTables(dbPath);
  const dbBytes = fileSize(dbPath) + fileSize(`${dbPath}-wal`);

  // Retention at this scale: one pass deleting every raw row that was rolled up.
  const reopened = ReadingStore.open({ path: dbPath, clock, onProblem: () => problems++ });
  clock.set(START + POLLS * 1000 + 10 * 24 * 3600_000 + 3600_000);
  const p0 = performance.now();
  const pruned = reopened.prune();
  const pruneMs = performance.now() - p0;
  reopened.close();
  rmSync(dir, { recursive: true, force: true });
  return { readings, elapsedMs, flushMs, dbBytes, written, tables, pruned, pruneMs, problems };
}

/** Bytes each table takes on disk (pages, including b-tree slack), from SQLite's dbstat. */
function inspectTables(dbPath) {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const pages = Object.fromEntries(
      db
        .prepare('SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name')
        .all()
        .map((r) => [r.name, { bytes: Number(r.bytes), payload: Number(r.payload) }]),
    );
    const rows = (table) => Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n);
    return { pages, rows: { raw: rows('raw'), raw_recent: rows('raw_recent'), agg_5m: rows('agg_5m') } };
  } finally {
    db.close();
  }
}

const cpus = os.cpus();
console.log('store ingest benchmark (@sps/store, node:sqlite, WAL, synchronous=NORMAL)');
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown cpu'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${os.platform()} ${os.arch()}, node ${process.version}, load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  `problem: ${DEVICES} devices × ${READINGS_PER_DEVICE} readings, 1 poll/s simulated for ${POLLS} s ` +
    `(${POLLS * DEVICES * READINGS_PER_DEVICE} readings per run), one flush per simulated second, ${RUNS} runs, file DB in ${os.tmpdir()}`,
);

const results = [];
for (let r = 0; r < RUNS; r++) {
  const res = runOnce();
  results.push(res);
  console.log(
    `  run ${r + 1}: ${Math.round(res.readings / (res.elapsedMs / 1000)).toLocaleString('en')} readings/s ` +
      `(${res.elapsedMs.toFixed(0)} ms), flush of ${DEVICES * READINGS_PER_DEVICE} values: median ${median(res.flushMs).toFixed(2)} ms, ` +
      `p99 ${percentile(res.flushMs, 0.99).toFixed(2)} ms, max ${Math.max(...res.flushMs).toFixed(2)} ms`,
  );
}

const rates = results.map((r) => r.readings / (r.elapsedMs / 1000));
const last = results[results.length - 1];
console.log(`readings ingested per second (median of ${RUNS}): ${Math.round(median(rates)).toLocaleString('en')}`);
console.log(
  `real-time headroom: ${(median(rates) / (DEVICES * READINGS_PER_DEVICE)).toFixed(0)}× the 1 500 readings/s this setup produces`,
);
console.log(
  `DB bytes per reading (whole file after close): ${(last.dbBytes / last.readings).toFixed(1)} (${last.dbBytes} bytes)`,
);
for (const [table, n] of Object.entries(last.tables.rows)) {
  const pages = last.tables.pages[table];
  if (n === 0 || !pages) continue;
  console.log(
    `${table} table: ${(pages.bytes / n).toFixed(1)} bytes/row on disk, ${(pages.payload / n).toFixed(1)} bytes/row payload (${n} rows)`,
  );
}
if (last.written !== undefined) {
  console.log(
    `bytes written to storage per reading (WAL + checkpoints, /proc/self/io): ${(last.written / last.readings).toFixed(1)}`,
  );
}
console.log(`prune of ${last.pruned.raw} raw rows in one pass: ${last.pruneMs.toFixed(0)} ms`);
if (results.some((r) => r.problems > 0))
  console.log(`store reported problems: ${results.map((r) => r.problems).join(', ')}`);
