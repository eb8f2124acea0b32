// Load-model backtest over a year of real household data (Ausgrid Solar Home,
// customer 12, Sydney, Jul 2011 – Jun 2012; see data/…/SOURCE.md for attribution).
// Walks forward day by day: fit on the preceding history, forecast the next local day.
// Prints MAE (kW, 30-min slots) and the error of daily energy, next to a naive
// "same slot last week" forecast. Run after a build:
//   pnpm exec tsc -b packages/forecasts && pnpm exec node packages/forecasts/bench/load-backtest.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { backtestLoadModel, parseAusgridCsv } = require('../dist/index.js');
const { zonedToUtc } = require('@sps/core');

const TZ = 'Australia/Sydney';
const csv = readFileSync(join(here, '../data/ausgrid-solarhome-cust12-2011-2012/data_2011-2012.csv'), 'utf8');
const samples = parseAusgridCsv(csv, (y, mo, d, h, mi) => zonedToUtc(TZ, y, mo, d, h, mi));
const from = zonedToUtc(TZ, 2011, 8, 1); // one month of warm-up history
const to = zonedToUtc(TZ, 2012, 7, 1);

const variants = [
  ['default (28 d history, 7 d half-life, k=3)', {}],
  ['42 d history, 14 d half-life', { historyDays: 42, halfLifeDays: 14 }],
  ['no outlier rejection', { outlierK: 1e9 }],
  ['no smoothing', { smoothing: 0 }],
];
console.log(
  `samples: ${samples.length} half-hours, evaluation ${new Date(from).toISOString().slice(0, 10)} → ${new Date(to).toISOString().slice(0, 10)}`,
);
for (const [name, extra] of variants) {
  const t0 = process.hrtime.bigint();
  const r = backtestLoadModel(samples, { model: { timeZone: TZ, ...extra }, from, to });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `${name.padEnd(46)} days=${r.days} MAE=${r.maeKw.toFixed(3)} kW RMSE=${r.rmseKw.toFixed(3)} kW bias=${r.biasKw.toFixed(3)} kW ` +
      `daily energy MAE=${r.dailyEnergyMaeKwh.toFixed(2)} kWh (${r.dailyEnergyErrorPct.toFixed(1)} % of ${r.meanDailyKwh.toFixed(1)} kWh) ` +
      `| naive last-week MAE=${r.naive.maeKw.toFixed(3)} kW, daily ${r.naive.dailyEnergyMaeKwh.toFixed(2)} kWh | ${ms.toFixed(0)} ms`,
  );
}
