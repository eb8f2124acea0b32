import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LoadForecaster,
  LoadProfileModel,
  OpenMeteoTemperatureSource,
  backtestLoadModel,
  forecastLoadForCli,
  gridFrom,
  parseAusgridCsv,
  parseLoadCsv,
} from '@sps/forecasts';
import { zonedToUtc } from '@sps/core';
import type { LoadSample, TemperaturePoint } from '@sps/forecasts';
import type { TestServer } from '../../../tests/support/http-test-server';
import { json, startServer } from '../../../tests/support/http-test-server';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const TZ = 'Europe/London';

/** Half-hourly synthetic history: weekdays 0.5 kW with an evening 2 kW peak, weekends a flat 1 kW. */
function synthetic(from: number, days: number, kwAt: (t: number, dayIndex: number) => number): LoadSample[] {
  const out: LoadSample[] = [];
  for (let t = from; t < from + days * DAY; t += 30 * MIN)
    out.push({ start: t, end: t + 30 * MIN, kw: kwAt(t, Math.floor((t - from) / DAY)) });
  return out;
}
const weekdayWeekend = (t: number) => {
  const local = new Date(t + (new Date(t).getUTCMonth() >= 3 && new Date(t).getUTCMonth() <= 8 ? H : 0));
  const dow = local.getUTCDay();
  if (dow === 0 || dow === 6) return 1;
  const h = local.getUTCHours();
  return h >= 17 && h < 21 ? 2 : 0.5;
};

describe('load profile model', () => {
  const start = Date.parse('2025-01-06T00:00:00Z'); // a Monday, GMT
  const asOf = start + 28 * DAY;

  it('learns the weekday/weekend, time-of-day profile in local time', () => {
    const model = LoadProfileModel.fromSamples(synthetic(start, 28, weekdayWeekend), asOf, {
      timeZone: TZ,
      smoothing: 0,
    });
    expect(model.historyDays).toBe(28);
    expect(model.predictKw(asOf + 18 * H)).toBeCloseTo(2); // Monday 18:00
    expect(model.predictKw(asOf + 10 * H)).toBeCloseTo(0.5);
    expect(model.predictKw(asOf + 5 * DAY + 18 * H)).toBeCloseTo(1); // Saturday
  });

  it('rejects outliers (one party night) and weights recent days more (a new routine)', () => {
    const party = synthetic(start, 28, (t, d) =>
      d === 21 && new Date(t).getUTCHours() === 22 ? 9 : weekdayWeekend(t),
    );
    const robust = LoadProfileModel.fromSamples(party, asOf, { timeZone: TZ, smoothing: 0 });
    expect(robust.predictKw(asOf + 22 * H + 10 * MIN)).toBeCloseTo(0.5, 1);
    const naive = LoadProfileModel.fromSamples(party, asOf, { timeZone: TZ, smoothing: 0, outlierK: 1e9 });
    expect(naive.predictKw(asOf + 22 * H + 10 * MIN)).toBeGreaterThan(1);

    // The household's base load doubled a week ago: the forecast moves most of the way.
    const shifted = synthetic(start, 28, (t, d) => weekdayWeekend(t) * (d >= 21 ? 2 : 1));
    const m = LoadProfileModel.fromSamples(shifted, asOf, { timeZone: TZ, smoothing: 0, outlierK: 1e9 });
    const flat = LoadProfileModel.fromSamples(shifted, asOf, {
      timeZone: TZ,
      smoothing: 0,
      outlierK: 1e9,
      halfLifeDays: 1e9,
    });
    expect(m.predictKw(asOf + 10 * H)!).toBeGreaterThan(flat.predictKw(asOf + 10 * H)!);
  });

  it('adjusts for temperature when a temperature term is configured', () => {
    const temps: TemperaturePoint[] = [];
    const tempAt = (t: number) => 20 + 10 * Math.sin((Math.floor((t - start) / DAY) * 2 * Math.PI) / 9); // 10–30 °C
    for (let t = start; t < asOf + 2 * DAY; t += H) temps.push({ start: t, end: t + H, celsius: tempAt(t) });
    // Air conditioning: +0.3 kW per °C above 22 °C.
    const samples = synthetic(start, 28, (t) => weekdayWeekend(t) + 0.3 * Math.max(0, tempAt(t) - 22));
    const model = LoadProfileModel.fromSamples(samples, asOf, { timeZone: TZ, smoothing: 0, temperature: {} }, temps);
    expect(model.temperatureCoefficients!.coolingKwPerC).toBeCloseTo(0.3, 1);
    const hot = model.predictKw(asOf + 10 * H, 32)!;
    const mild = model.predictKw(asOf + 10 * H, 18)!;
    expect(hot - mild).toBeCloseTo(0.3 * 10, 0);
  });

  it('LoadForecaster: kW on the 5-minute grid, filling a young store from HA statistics', async () => {
    const all = synthetic(start, 28, weekdayWeekend);
    const store = all.filter((s) => s.start >= asOf - 3 * DAY);
    const ha = all.filter((s) => s.start < asOf - 3 * DAY);
    const forecaster = new LoadForecaster({
      history: { loadHistory: (f, t) => Promise.resolve(store.filter((s) => s.start >= f && s.end <= t)) },
      fallbackHistory: { loadHistory: (f, t) => Promise.resolve(ha.filter((s) => s.start >= f && s.end <= t)) },
      model: { timeZone: TZ, smoothing: 0 },
    });
    const f = await forecaster.forecast(gridFrom(asOf + 3 * MIN, 24), asOf + 3 * MIN);
    expect(f.historyDays).toBe(28);
    expect(f.points).toHaveLength(288);
    expect(f.points[0]).toMatchObject({ start: asOf, end: asOf + 5 * MIN, kw: expect.closeTo(0.5, 5) });
    expect(f.points.find((p) => p.start === asOf + 18 * H)!.kw).toBeCloseTo(2);

    expect(f.blend).toMatchObject({ historyWeight: 1 });

    const learntOnly = new LoadForecaster({
      history: { loadHistory: () => Promise.resolve([]) },
      model: { timeZone: TZ },
      prior: false,
    });
    const none = await learntOnly.forecast(gridFrom(asOf, 1), asOf);
    expect(none.points).toEqual([]);
    expect(none.warnings).toEqual(['no load history: no forecast']);
  });

  describe('a short history never shortens the horizon', () => {
    const now = Date.parse('2026-03-02T09:00:07Z');
    const grid = gridFrom(now, 48);
    const historyOf = (samples: LoadSample[]) => ({
      loadHistory: (f: number, t: number) => Promise.resolve(samples.filter((s) => s.end > f && s.start < t)),
    });
    const energyKwh = (points: { start: number; end: number; kw: number }[], from: number, hours: number) =>
      points
        .filter((p) => p.start >= from && p.start < from + hours * H)
        .reduce((sum, p) => sum + (p.kw * (p.end - p.start)) / H, 0);

    it('no history: the typical-day profile at the default 10 kWh a day, over the whole grid', async () => {
      const f = await new LoadForecaster({ history: historyOf([]), model: { timeZone: 'UTC' } }).forecast(grid, now);
      expect(f.points).toHaveLength(576);
      expect(f.points[0]!.start).toBe(grid.from);
      expect(f.points[575]!.end).toBe(grid.to);
      expect(f.blend).toEqual({ coveredDays: 0, historyWeight: 0, profileDailyKwh: 10, profileLevel: 'default' });
      expect(f.warnings).toBeUndefined();
      expect(energyKwh(f.points, grid.from, 24)).toBeCloseTo(10, 5);
      // The shape: the evening peak above the small hours.
      const at = (iso: string) => f.points.find((p) => p.start === Date.parse(iso))!.kw;
      expect(at('2026-03-02T18:30:00Z')).toBeGreaterThan(2 * at('2026-03-03T03:00:00Z'));
    });

    it('a configured daily energy sets the level', async () => {
      const f = await new LoadForecaster({
        history: historyOf([]),
        model: { timeZone: 'UTC' },
        prior: { dailyKwh: 6 },
      }).forecast(grid, now);
      expect(f.blend).toMatchObject({ profileDailyKwh: 6, profileLevel: 'configured' });
      expect(energyKwh(f.points, grid.from, 24)).toBeCloseTo(6, 5);
    });

    it.each([
      ['a few seconds', 7_000],
      ['half an hour', 30 * MIN],
      ['five hours', 5 * H],
    ])('%s of history: every interval of 48 h, blended with the profile', async (_name, ms) => {
      // Before: the learnt profile alone, which only knows the slots the history saw ("cover only 15 min").
      const f = await new LoadForecaster({
        history: historyOf([{ start: now - ms, end: now, kw: 0.8 }]),
        model: { timeZone: 'UTC' },
      }).forecast(grid, now);
      expect(f.points).toHaveLength(576);
      expect(f.points.every((p, i) => p.start === grid.from + i * 5 * MIN && Number.isFinite(p.kw))).toBe(true);
      expect(f.blend!.historyWeight).toBeCloseTo(ms / DAY / 7, 5);
      expect(f.blend!.profileLevel).toBe('history');
      // The level follows the history: 0.8 kW in the morning is more than the default home draws then.
      expect(f.blend!.profileDailyKwh).toBeGreaterThan(10);
    });

    it('a week of history takes over from the profile', async () => {
      const week = synthetic(now - 7 * DAY, 7, () => 0.3);
      const f = await new LoadForecaster({ history: historyOf(week), model: { timeZone: 'UTC' } }).forecast(grid, now);
      expect(f.blend!.historyWeight).toBe(1);
      expect(f.points.every((p) => Math.abs(p.kw - 0.3) < 1e-9)).toBe(true);
    });
  });

  it('CLI output: ISO timestamps, kW, the step', async () => {
    const history = parseLoadCsv(
      'timestamp,kw\n' +
        synthetic(start, 14, weekdayWeekend)
          .map((s) => `${new Date(s.start).toISOString()},${s.kw}`)
          .join('\n'),
    );
    const out = await forecastLoadForCli({ history, timeZone: TZ, hours: 1, stepMinutes: 15, now: start + 14 * DAY });
    expect(out).toMatchObject({ kind: 'load', unit: 'kW', stepMinutes: 15 });
    expect(out.points).toHaveLength(4);
    expect(out.points[0]!.start).toBe('2025-01-20T00:00:00.000Z');
    await expect(forecastLoadForCli({ history, timeZone: 'Nowhere/Else' })).rejects.toThrow(/timeZone/);
    expect(() => parseLoadCsv('2025-01-01T00:00:00Z,abc')).toThrow(/line 1/);
  });
});

describe('load backtest on recorded data (Ausgrid Solar Home, customer 12, Sydney)', () => {
  const csv = readFileSync(join(__dirname, '../data/ausgrid-solarhome-cust12-2011-2012/data_2011-2012.csv'), 'utf8');
  const tz = 'Australia/Sydney';
  const samples = parseAusgridCsv(csv, (y, mo, d, h, mi) => zonedToUtc(tz, y, mo, d, h, mi));

  it('parses the year with local daylight-saving days resolved to unique UTC half-hours', () => {
    expect(samples.length).toBeGreaterThan(17_500);
    expect(samples[0]!.start).toBe(Date.parse('2011-06-30T14:00:00Z')); // 00:00 AEST
  });

  it('beats "same time last week" on MAE and daily energy over three months', () => {
    const r = backtestLoadModel(samples, {
      model: { timeZone: tz },
      from: zonedToUtc(tz, 2011, 9, 1),
      to: zonedToUtc(tz, 2011, 12, 1),
    });
    console.log(
      `load backtest Sep–Nov 2011: ${r.days} days, MAE ${r.maeKw.toFixed(3)} kW (naive ${r.naive.maeKw.toFixed(3)}), ` +
        `daily energy error ${r.dailyEnergyMaeKwh.toFixed(2)} kWh = ${r.dailyEnergyErrorPct.toFixed(1)} % (naive ${r.naive.dailyEnergyMaeKwh.toFixed(2)} kWh)`,
    );
    expect(r.days).toBe(91);
    expect(r.maeKw).toBeLessThan(r.naive.maeKw);
    expect(r.dailyEnergyMaeKwh).toBeLessThan(r.naive.dailyEnergyMaeKwh);
    expect(r.dailyEnergyErrorPct).toBeLessThan(20);
  });
});

describe('Open-Meteo temperatures against a local server', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('hourly instantaneous temperature_2m → points centred on each hour', async () => {
    server.handle((_req, res) =>
      json(res, 200, {
        utc_offset_seconds: 36000,
        hourly: { time: ['2025-01-15T10:00', '2025-01-15T11:00'], temperature_2m: [31.5, null] },
      }),
    );
    const now = Date.parse('2025-01-15T00:00:00Z');
    const src = new OpenMeteoTemperatureSource(
      { latitude: -33.9, longitude: 151.2, baseUrl: server.url },
      { now: () => now },
    );
    const pts = await src.temperatures(now - 2 * DAY, now + DAY);
    expect(pts).toEqual([{ start: now - 30 * MIN, end: now + 30 * MIN, celsius: 31.5 }]);
    const q = new URL(server.requests[0]!.url, server.url).searchParams;
    expect([q.get('hourly'), q.get('past_days'), q.get('forecast_days')]).toEqual(['temperature_2m', '2', '2']);
  });
});
