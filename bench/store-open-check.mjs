// What the store's damage check costs at open: a real store file with N raw rows (the
// series-major `raw` table, ~16 bytes a row), opened after a clean close (header, schema and the
// pages an open touches) and after an unclean one (plus PRAGMA quick_check over every page), and
// the two pragmas alone. Prints figures; asserts nothing. Numbers are from the page cache; an SD
// card read cold adds its read time (file size ÷ ~20–40 MB/s).
// Needs the built store: `pnpm exec tsc -b packages/store` (or `pnpm bench`).
//   SPS_BENCH_ROWS=2000000   raw rows in the file (default 2 million ≈ 32 MB)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { ReadingStore } = require('../packages/store/dist/index.js');
const { loadSqlite } = require('../packages/store/dist/sqlite.js');

const ROWS = Number(process.env.SPS_BENCH_ROWS ?? 2_000_000);
const SERIES = 100;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-open-'));
const file = path.join(dir, 'readings.sqlite');
const quiet = { onProblem: () => undefined, rawRetentionMs: 3650 * 86_400_000 };

try {
  ReadingStore.open({ path: file, ...quiet }).close();
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(file);
  const insert = db.prepare('INSERT INTO raw (series_id, t, v) VALUES (?, ?, ?)');
  const start = Date.now() - 86_400_000;
  db.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) insert.run(1 + (i % SERIES), start + Math.floor(i / SERIES) * 5000, (i * 7) % 3000);
  db.exec('COMMIT');
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const time = (fn) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const quickMs = time(() => db.prepare('PRAGMA quick_check').all());
  const integrityMs = time(() => db.prepare('PRAGMA integrity_check').all());
  const markClean = (value) => db.prepare("UPDATE meta SET value = ? WHERE name = 'clean_close'").run(value);
  markClean(1);
  db.close();
  const mb = statSync(file).size / 1e6;
  const cleanMs = time(() => ReadingStore.open({ path: file, ...quiet }).close());
  const reopened = new DatabaseSync(file);
  reopened.prepare("UPDATE meta SET value = 0 WHERE name = 'clean_close'").run();
  reopened.close();
  const uncleanMs = time(() => ReadingStore.open({ path: file, ...quiet }).close());
  console.log(`store file: ${ROWS} raw rows, ${mb.toFixed(1)} MB`);
  console.log(`  PRAGMA quick_check          ${quickMs.toFixed(0)} ms (${(quickMs / mb).toFixed(1)} ms/MB)`);
  console.log(`  PRAGMA integrity_check      ${integrityMs.toFixed(0)} ms`);
  console.log(`  open after a clean close    ${cleanMs.toFixed(0)} ms (no quick_check)`);
  console.log(`  open after an unclean close ${uncleanMs.toFixed(0)} ms (with quick_check)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
