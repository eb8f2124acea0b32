// One-off: how the slices in this folder were cut from the project's shared data sets (run by
// hand with the shared folder beside the repo; benchmarks read only the slices, never ../shared).
//   pnpm exec node packages/scheduler/bench-data/extract.mjs ../shared/data
import { URL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const shared = process.argv[2] ?? '../shared/data';
const here = path.dirname(new URL(import.meta.url).pathname);

// AEMO VIC1 5-minute prices, 2024-10-01 … 2024-11-04 (35 days of spring: solar, negative prices).
const rows = ['interval_end_aest,rrp_aud_per_mwh'];
for (const month of ['202410', '202411']) {
  const text = readFileSync(path.join(shared, 'nem-vic1-2022-2026', `PRICE_AND_DEMAND_${month}_VIC1.csv`), 'utf8');
  for (const line of text.trim().split('\n').slice(1)) {
    const [, end, , rrp] = line.split(',');
    if (end > '2024/10/01 00:00:00' && end <= '2024/11/05 00:00:00') rows.push(`${end},${rrp}`);
  }
}
writeFileSync(path.join(here, 'aemo-vic1-2024-10-01_35d.csv'), rows.join('\n') + '\n');

// Ausgrid Solar Home customer 12, 2011-10-01 … 2011-11-04 (same season), load and gross PV in kW.
const ausgrid = readFileSync(path.join(shared, 'ausgrid-solarhome-cust12-2011-2012', 'data_2011-2012.csv'), 'utf8');
const out = ['interval_start_local,load_kw,pv_kw'];
for (const line of ausgrid.trim().split('\n').slice(1)) {
  const [ts, gc, gg] = line.split(',');
  if (ts >= '2011-10-01 00:00:00' && ts < '2011-11-05 00:00:00') out.push(`${ts},${gc},${gg}`);
}
writeFileSync(path.join(here, 'ausgrid-cust12-2011-10-01_35d.csv'), out.join('\n') + '\n');
console.log(rows.length - 1, 'price rows;', out.length - 1, 'load/PV rows');
