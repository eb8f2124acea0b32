import { ManualClock } from '@sps/core';
import Fastify from 'fastify';
import { DrRuntime } from '../../src/dr/dr-runtime';
import type { DrSettings } from '../../src/dr/dr-options';
import { GridMeter } from '../../src/dr/grid-meter';
import { isoWithOffset } from '../../src/dr/zoned-iso';
import { registerDrRoutes } from '../../src/http/dr-routes';
import { ReadingHub } from '../../src/hub';
import { silentLogger } from '../../src/logger';
import { FakeDrSignals } from '../support/fake-dr-signals';

const HOUR = 3_600_000;
const settings: DrSettings = {
  network: 'n',
  participant: 'p',
  timeZone: 'America/New_York',
  sharing: 'none',
  goal: { kw: 1 },
  allowCurtailment: [],
  allowShifting: false,
  eventSocTargetPct: 80,
};

function setup(overrides: Partial<DrSettings> = {}, sunny = false) {
  const clock = new ManualClock('2026-12-04T15:00:00Z');
  const hub = new ReadingHub();
  const signals = new FakeDrSignals(clock);
  const replans: number[] = [];
  const dr = new DrRuntime({
    settings: { ...settings, ...overrides },
    signals,
    gridMeter: new GridMeter(hub, () => ['battery']),
    clock,
    logger: silentLogger(),
    performance: {
      baselineW: () => 3000,
      performance: () => null,
      totalAvoidedKwh: () => 1.25,
      baselineHours: (event) => [{ hourStartMs: event.startMs, baselineKw: 3 }],
    },
    solarForecast: () => [{ start: 0, end: Number.MAX_SAFE_INTEGER, kw: sunny ? 2 : 0 }],
    onDirectiveChanged: () => replans.push(clock.now()),
  });
  dr.start();
  return { clock, hub, signals, dr, replans };
}

describe('isoWithOffset', () => {
  it('writes the zone offset of the instant, DST included', () => {
    expect(isoWithOffset(Date.UTC(2026, 11, 4, 22, 0, 0), 'America/New_York')).toBe('2026-12-04T17:00:00-05:00');
    expect(isoWithOffset(Date.UTC(2026, 6, 4, 21, 0, 7), 'America/New_York')).toBe('2026-07-04T17:00:07-04:00');
    expect(isoWithOffset(0, 'UTC')).toBe('1970-01-01T00:00:00+00:00');
    expect(isoWithOffset(0, 'Asia/Kolkata')).toBe('1970-01-01T05:30:00+05:30');
  });
});

describe('DrRuntime', () => {
  it('gives the controller the upcoming target, then baseline − goal, then the ramp', async () => {
    const { clock, signals, dr, replans } = setup();
    expect(dr.directive(clock.now())).toEqual({ mode: 'normal' });
    const start = clock.now() + 2 * HOUR;
    const event = signals.add({ startMs: start, endMs: start + HOUR });
    expect(replans).toHaveLength(1);
    // Not sunny at the start: full.
    expect(dr.directive(clock.now())).toEqual({
      mode: 'upcoming',
      eventId: event.id,
      eventStartMs: start,
      eventEndMs: start + HOUR,
      targetSocPct: 100,
    });
    expect(dr.directive(start + 60_000)).toEqual({
      mode: 'ongoing',
      eventId: event.id,
      eventEndMs: start + HOUR,
      importSetpointW: 2000,
    });
    expect(dr.directive(start + HOUR + 60_000)).toMatchObject({ mode: 'post_event', eventId: event.id });
    // The mode's time-driven changes re-plan at the next tick.
    await clock.advance(2 * HOUR + 30_000);
    expect(replans.length).toBeGreaterThanOrEqual(2);
    await dr.stop();
    expect(signals.stopped).toBe(true);
  });

  it('targets the user’s lower SOC when the event starts in sunshine, and a share goal of the baseline', () => {
    const { clock, signals, dr } = setup({ goal: { pct: 50 } }, true);
    const start = clock.now() + HOUR;
    signals.add({ startMs: start, endMs: start + HOUR });
    expect(dr.directive(clock.now())).toMatchObject({ mode: 'upcoming', targetSocPct: 80 });
    expect(dr.directive(start)).toMatchObject({ mode: 'ongoing', importSetpointW: 1500 });
  });

  it('an opt-out puts the mode back to normal and the directive with it', () => {
    const { clock, signals, dr } = setup();
    const start = clock.now() + HOUR;
    const event = signals.add({ startMs: start, endMs: start + HOUR });
    const changes: string[] = [];
    dr.events.on('change', (c) => changes.push(c.kind));
    expect(dr.optOut().id).toBe(event.id);
    expect(changes).toEqual(['opted_out']);
    expect(dr.directive(start)).toEqual({ mode: 'normal' });
    expect(dr.status()).toMatchObject({ mode: 'normal', event: { id: event.id, opted_out: true } });
  });

  it('shows the status with offsets, the goal, the baseline, the meter and the broker', () => {
    const { clock, hub, signals, dr } = setup();
    hub.publishReadings('other', { timestamp: clock.now(), values: { grid_power: 900 } });
    hub.publishReadings('battery', { timestamp: clock.now(), values: { grid_power: 1234 } });
    hub.publishReadings('other', { timestamp: clock.now(), values: { grid_power: 100 } });
    const start = Date.parse('2026-12-04T22:00:00Z');
    signals.add({ startMs: start, endMs: start + 4 * HOUR, goalKw: 1.5 });
    signals.setConnection(true);
    expect(dr.status()).toMatchObject({
      enabled: true,
      mode: 'upcoming',
      event: {
        id: 'E1',
        program: 'CSRP',
        type: 'contingency',
        start: '2026-12-04T17:00:00-05:00',
        end: '2026-12-04T21:00:00-05:00',
        goal_kw: 1.5,
        opted_out: false,
      },
      baseline_kw: 3,
      actual_kw: 1.234,
      avoided_kwh: 0,
      total_avoided_kwh: 1.25,
      sharing: 'none',
      outbox: { pending: 0, dropped: 0 },
      broker: { connected: true },
      grid_meter: 'battery',
      // Before the event: its baseline hours, nothing measured yet.
      hours: [{ start: '2026-12-04T17:00:00-05:00', baseline_kw: 3, actual_kw: null, avoided_kwh: null }],
    });
  });
});

describe('the DR routes', () => {
  const servers: ReturnType<typeof Fastify>[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  /** A bare fastify with the DR routes on a loopback port; `inject` is fetch over a real socket. */
  async function app(withDr: boolean) {
    const { clock, signals, dr } = setup();
    const fastify = Fastify();
    registerDrRoutes(fastify, withDr ? dr : undefined, clock);
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    servers.push(fastify);
    const address = fastify.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const server = {
      async inject(request: { method: string; url: string; payload?: unknown }) {
        const response = await fetch(`http://127.0.0.1:${port}${request.url}`, {
          method: request.method,
          ...(request.payload === undefined
            ? {}
            : { body: JSON.stringify(request.payload), headers: { 'content-type': 'application/json' } }),
        });
        const body = (await response.json()) as Record<string, unknown> & { error?: string };
        return { statusCode: response.status, json: () => body };
      },
    };
    return { server, clock, signals, dr };
  }

  it('answers GET /api/dr with the normal mode and enabled false when DR is off', async () => {
    const { server } = await app(false);
    const reply = await server.inject({ method: 'GET', url: '/api/dr' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({
      enabled: false,
      mode: 'normal',
      event: null,
      avoided_kwh: 0,
      sharing: 'none',
      outbox: { pending: 0, dropped: 0 },
      broker: { connected: false },
    });
    const write = await server.inject({ method: 'POST', url: '/api/dr/opt-out', payload: {} });
    expect(write.statusCode).toBe(409);
    expect(write.json().error).toContain('demand response is off');
  });

  it('simulates an event, refuses bad fields naming them, and opts out', async () => {
    const { server } = await app(true);
    const bad = await server.inject({ method: 'POST', url: '/api/dr/simulate', payload: { duration_minutes: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'duration_minutes' });
    const both = await server.inject({
      method: 'POST',
      url: '/api/dr/simulate',
      payload: { start: '2026-12-04T17:00:00-05:00', minutes_from_now: 3 },
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toContain('not both');
    const sim = await server.inject({
      method: 'POST',
      url: '/api/dr/simulate',
      payload: { minutes_from_now: 10, duration_minutes: 30, program: 'DLRP', goal_kw: 2 },
    });
    expect(sim.statusCode).toBe(200);
    expect(sim.json()).toMatchObject({
      simulated: 'E1',
      status: { mode: 'upcoming', event: { program: 'DLRP', goal_kw: 2 }, next: { simulated: true } },
    });
    const none = await server.inject({ method: 'POST', url: '/api/dr/opt-out', payload: { event_id: 'nope' } });
    expect(none.statusCode).toBe(409);
    const out = await server.inject({ method: 'POST', url: '/api/dr/opt-out', payload: {} });
    expect(out.json()).toMatchObject({ opted_out: 'E1', status: { mode: 'normal' } });
    const level = await server.inject({ method: 'POST', url: '/api/dr/sharing', payload: { level: 'all' } });
    expect(level.statusCode).toBe(400);
    expect(level.json()).toMatchObject({ field: 'level' });
  });
});
