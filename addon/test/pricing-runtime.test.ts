import { ManualClock, systemClock } from '@sps/core';
import { z } from 'zod';
import { FakeHa, type Received } from '../../packages/ha/test/fakeHa';
import { defineDriver } from '../src/driver-types';
import { DriverRegistry } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import type { HistoryRequest, ReadingArchive } from '../src/reading-archive';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';
import { FakeDevice } from './support/fake-device';
import { octopusServer, type PriceServer } from './support/price-servers';

const HALF_HOUR = 1_800_000;
const START = Date.parse('2026-06-01T12:10:00Z');
/** p/kWh inc VAT for the half hour starting at t: varies by slot, one negative. */
const pence = (t: number): number => ((t / HALF_HOUR) % 9) * 4 - 3;

function drivers(clock: ManualClock): DriverRegistry {
  return new DriverRegistry([
    defineDriver({
      name: 'fake',
      title: 'Fake device',
      fields: z.strictObject({}),
      pollIntervals: () => ({ defaultMs: 5000, minMs: 1000 }),
      create: (id) => new FakeDevice(id, clock),
    }),
  ]);
}

/** The store's answer for load_power: 30-minute means, 2.4 kW in the evening, 0.4 kW otherwise, 14 days. */
const archive: ReadingArchive = {
  append: () => undefined,
  flush: () => undefined,
  close: () => undefined,
  history: (request: HistoryRequest) => {
    if (request.key !== 'load_power' || request.deviceId !== 'inverter') return { resolution: 'raw', points: [] };
    const points = [];
    const step = request.stepMs ?? HALF_HOUR;
    for (let t = Math.max(request.from, request.to - 14 * 86_400_000); t < request.to; t += step) {
      const hour = new Date(t).getUTCHours();
      const w = hour >= 17 && hour < 21 ? 2400 : 400;
      points.push({ t, mean: w, min: w, max: w, last: w, count: 6 });
    }
    return { resolution: '5m', points };
  },
};

/** HA's energy/solar_forecast for today: 1 kWh per hour from 08:00 to 16:00 UTC. */
function solarForecast(day: string): Record<string, { wh_hours: Record<string, number> }> {
  const wh: Record<string, number> = {};
  for (let h = 8; h < 16; h++) wh[`${day}T${String(h).padStart(2, '0')}:00:00+00:00`] = 1000;
  return { entry_forecast_solar: { wh_hours: wh } };
}

interface PricesBody {
  configured: boolean;
  provider?: string;
  currency?: string;
  unit?: string;
  available: boolean;
  fallback: boolean;
  reason: string | null;
  current: { start: string; import: number; export: number; kind: string } | null;
  intervals: { start: string; end: string; import: number; export: number; kind: string; spike: string | null }[];
}
interface ForecastBody {
  configured: boolean;
  source?: string;
  reason: string | null;
  current_kw?: number | null;
  points: { start: string; end: string; kw: number }[];
}

async function getJson<T>(runtime: AddonRuntime, route: string): Promise<T> {
  const response = await fetch(`${runtime.url}${route}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type StateUpdate = { device_id: string; key: string; state: unknown; attributes?: Record<string, unknown> };

/** The newest state HA got for an optimiser entity (on a given connection), and the newest attributes sent with it. */
function latest(
  ha: FakeHa,
  key: string,
  conn?: number,
): { state: unknown; attributes?: Record<string, unknown> } | undefined {
  let state: StateUpdate | undefined;
  let attributes: Record<string, unknown> | undefined;
  for (const r of ha.of('smart_power_station/states') as Received[]) {
    if (conn !== undefined && r.conn !== conn) continue;
    for (const s of r.msg['states'] as StateUpdate[]) {
      if (s.device_id !== 'sps:optimiser' || s.key !== key) continue;
      state = s;
      if (s.attributes) attributes = s.attributes;
    }
  }
  return state ? { state: state.state, ...(attributes ? { attributes } : {}) } : undefined;
}

describe('prices and forecasts in the running add-on', () => {
  let octopus: PriceServer;
  const ha = new FakeHa();
  let haUrl: string;
  const stateStore = new MemoryStateStore();
  const runtimes: AddonRuntime[] = [];

  async function start(clock: ManualClock, withHa: boolean): Promise<AddonRuntime> {
    const config = parseOptions(
      {
        devices: [{ name: 'Inverter', driver: 'fake' }],
        tariff: { provider: 'octopus', region: 'C', product: 'agile', base_url: octopus.url },
        forecast: { solar: 'ha', time_zone: 'UTC' },
      },
      drivers(clock),
    );
    const runtime = await AddonRuntime.start({
      config,
      dataDir: '/nonexistent',
      supervised: false,
      drivers: drivers(clock),
      logger: silentLogger(),
      httpPort: 0,
      clock,
      archive,
      stateStore,
      ...(withHa
        ? { ha: { url: haUrl, token: 'test-token-123', viaSupervisor: false }, haClient: { clock: systemClock } }
        : {}),
      haConfigDirs: [],
    });
    runtimes.push(runtime);
    return runtime;
  }

  beforeAll(async () => {
    octopus = await octopusServer(pence);
    haUrl = await ha.start();
    ha.commandResults.set('energy/solar_forecast', solarForecast('2026-06-01'));
  });

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop();
    await ha.stop();
    await octopus.close();
  });

  describe('first start: prices fetched, forecasts made, all of it in HA', () => {
    const clock = new ManualClock(START);
    let runtime: AddonRuntime;

    beforeAll(async () => {
      runtime = await start(clock, true);
      await runtime.ha?.client.waitForStatus('ready');
      await clock.advance(0);
      await runtime.pricing.prices?.refresh();
      await runtime.pricing.solar?.refresh(); // HA is connected now
      await runtime.pricing.load?.refresh();
    });

    it('GET /api/prices serves the normalised series from now on', async () => {
      const body = await getJson<PricesBody>(runtime, 'api/prices');
      expect(body).toMatchObject({
        configured: true,
        provider: 'octopus',
        currency: 'GBP',
        unit: 'GBP/kWh',
        available: true,
        fallback: false,
        reason: null,
      });
      const slot = Math.floor(START / HALF_HOUR) * HALF_HOUR;
      expect(body.current).toMatchObject({ start: new Date(slot).toISOString(), kind: 'actual' });
      expect(body.current?.import).toBeCloseTo(pence(slot) / 100, 6);
      expect(body.intervals[0]?.start).toBe(new Date(slot).toISOString());
      expect(body.intervals.length).toBeGreaterThan(20);
      for (const i of body.intervals) {
        expect(i.start).toMatch(/Z$/);
        expect(i.import).toBeCloseTo(pence(Date.parse(i.start)) / 100, 6);
      }
      expect(body.intervals.some((i) => i.import < 0)).toBe(true);
    });

    it('GET /api/forecasts serves solar from HA and load from the store, in kW on a 5-minute grid', async () => {
      const body = await getJson<{ solar: ForecastBody; load: ForecastBody }>(runtime, 'api/forecasts');
      expect(body.solar).toMatchObject({ configured: true, source: 'home_assistant', reason: null, current_kw: 1 });
      const solarAt = (iso: string) => body.solar.points.find((p) => p.start === iso)?.kw;
      expect(solarAt('2026-06-01T15:55:00.000Z')).toBeCloseTo(1, 6);
      expect(solarAt('2026-06-01T16:00:00.000Z')).toBeUndefined(); // after the last hour HA knows
      expect(body.load).toMatchObject({
        configured: true,
        source: 'profile',
        basis: 'learnt from 14 days of recorded load',
        reason: null,
      });
      const loadAt = (iso: string) => body.load.points.find((p) => p.start === iso)?.kw ?? NaN;
      expect(loadAt('2026-06-01T18:00:00.000Z')).toBeGreaterThan(loadAt('2026-06-02T03:00:00.000Z') * 3);
      expect(body.load.points[0]?.start).toBe('2026-06-01T12:10:00.000Z');
    });

    it('declares the optimiser device with price and forecast sensors, the forecast kept out of the recorder', async () => {
      const declare = await until('the optimiser declared', () =>
        ha
          .of('smart_power_station/declare')
          .map((r) => (r.msg['devices'] as { id: string }[]).find((d) => d.id === 'sps:optimiser'))
          .find((d) => d !== undefined),
      );
      const entities = (declare as unknown as { entities: Record<string, unknown>[] }).entities;
      // The optimiser's own entities follow on the same device (addon/test/optimizer-runtime.test.ts).
      expect(entities.map((e) => e['key']).slice(0, 8)).toEqual([
        'import_price',
        'export_price',
        'price_spike',
        'prices_available',
        'import_price_forecast',
        'export_price_forecast',
        'solar_forecast',
        'load_forecast',
      ]);
      const byKey = new Map(entities.map((e) => [e['key'], e]));
      expect(byKey.get('import_price')).toMatchObject({ unit: 'GBP/kWh', state_class: 'measurement' });
      expect(byKey.get('import_price')).not.toHaveProperty('device_class');
      expect(byKey.get('import_price')).not.toHaveProperty('unrecorded_attributes');
      for (const key of ['import_price_forecast', 'export_price_forecast', 'solar_forecast', 'load_forecast']) {
        expect(byKey.get(key)).toMatchObject({ unrecorded_attributes: ['forecast'] });
        expect(byKey.get(key)).not.toHaveProperty('state_class');
      }
      expect(byKey.get('solar_forecast')).toMatchObject({ unit: 'kW', device_class: 'power' });
      expect(byKey.get('price_spike')).toMatchObject({ platform: 'binary_sensor' });
    });

    it('sends current prices and whole horizons (≤ 576 points, [{start, value}]) to HA', async () => {
      const slot = Math.floor(START / HALF_HOUR) * HALF_HOUR;
      // A measurement reaches HA at most once a second (packages/ha's coalescer): wait for the price.
      const importNow = await until('import price in HA', () => {
        const s = latest(ha, 'import_price');
        return typeof s?.state === 'number' ? s : undefined;
      });
      expect(importNow.state).toBeCloseTo(pence(slot) / 100, 6);
      expect(importNow.attributes).toMatchObject({ provider: 'octopus', kind: 'actual', reason: null });
      expect(latest(ha, 'prices_available')?.state).toBe(true);
      expect(latest(ha, 'price_spike')?.state).toBeNull(); // Octopus says nothing about spikes

      const forecast = await until('the import price forecast', () => {
        const f = latest(ha, 'import_price_forecast')?.attributes?.['forecast'] as
          { start: string; value: number }[] | undefined;
        return f && f.length > 0 ? f : undefined;
      });
      expect(forecast.length).toBeLessThanOrEqual(576);
      expect(forecast[0]).toEqual({ start: new Date(slot).toISOString(), value: pence(slot) / 100 });
      const solar = await until('the solar forecast', () => {
        const f = latest(ha, 'solar_forecast')?.attributes?.['forecast'] as
          { start: string; value: number }[] | undefined;
        return f && f.length > 0 ? f : undefined;
      });
      expect(solar.length).toBeLessThanOrEqual(576);
      expect(solar[0]).toEqual({ start: '2026-06-01T12:10:00.000Z', value: 1 });
      const load = await until('the load forecast', () => {
        const f = latest(ha, 'load_forecast')?.attributes?.['forecast'] as unknown[] | undefined;
        return f && f.length > 0 ? f : undefined;
      });
      expect(load).toHaveLength(576);
    });

    it('a provider 500 keeps the last good series and shows the reason (API, HA)', async () => {
      octopus.failWith = 500;
      try {
        await runtime.pricing.prices?.refresh();
      } finally {
        octopus.failWith = undefined;
      }
      const body = await getJson<PricesBody>(runtime, 'api/prices');
      expect(body.available).toBe(true);
      expect(body.intervals.length).toBeGreaterThan(20);
      expect(body.reason).toMatch(/^using prices fetched at 2026-06-01T12:10:00.000Z: http: .*500/);
      const available = await until('the reason in HA', () => {
        const s = latest(ha, 'prices_available');
        return typeof s?.attributes?.['reason'] === 'string' ? s : undefined;
      });
      expect(available.state).toBe(true);
      expect(available.attributes?.['reason']).toMatch(/http: .*500/);
      expect(available.attributes?.['last_error']).toMatch(/500/);
    });
  });

  it('a restart keeps the prices (store) even while the provider fails', async () => {
    await runtimes[0]?.stop();
    octopus.failWith = 503;
    try {
      const clock = new ManualClock(START + 10 * 60_000);
      const runtime = await start(clock, false);
      const before = await getJson<PricesBody>(runtime, 'api/prices');
      expect(before.available).toBe(true); // restored from the store before any fetch
      expect(before.intervals.length).toBeGreaterThan(20);
      await clock.advance(0);
      await runtime.pricing.prices?.refresh();
      const after = await getJson<PricesBody>(runtime, 'api/prices');
      expect(after.available).toBe(true);
      expect(after.reason).toMatch(/503/);
      await runtime.stop();
    } finally {
      octopus.failWith = undefined;
    }
  });

  it('when nothing covers now, prices_available is off in HA with the reason and the API says fall back', async () => {
    octopus.failWith = 500;
    try {
      const clock = new ManualClock('2026-06-05T09:00:00Z'); // the stored series ended long ago
      const runtime = await start(clock, true);
      await runtime.ha?.client.waitForStatus('ready');
      await clock.advance(0);
      await runtime.pricing.prices?.refresh();
      const body = await getJson<PricesBody>(runtime, 'api/prices');
      expect(body).toMatchObject({ available: false, fallback: true, current: null, intervals: [] });
      expect(body.reason).toMatch(/^no price covers now: http: .*500/);
      const conn = ha.connectionCount;
      const off = await until('prices_available off', () => {
        const s = latest(ha, 'prices_available', conn);
        return s?.state === false && typeof s.attributes?.['reason'] === 'string' ? s : undefined;
      });
      expect(off.attributes?.['reason']).toMatch(/^no price covers now: http: .*500/);
      expect(latest(ha, 'import_price', conn)?.state).toBeNull();
    } finally {
      octopus.failWith = undefined;
    }
  });
});
