import { SungrowSimulator } from '@sps/device-sungrow';
import { ManualClock, systemClock, type Clock } from '@sps/core';
import { startDemoKit, KIT_NAMES, type DemoKit } from '../src/cli/demo-kit';
import { stationSwitchedRelays } from '../src/drivers/station';
import { builtInDrivers } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { deviceSlug, parseOptions } from '../src/options';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';

/**
 * The write budget and the relay hold bind every caller of the running add-on (issue 10 items 3–5):
 * the real HTTP API on loopback, the real Sungrow adapter against its Modbus TCP simulator, the
 * demo's power-station kit on its simulators.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
}

async function post(base: string, deviceId: string, command: unknown): Promise<Answer> {
  const response = await fetch(`${base}api/devices/${deviceId}/commands`, {
    method: 'POST',
    body: JSON.stringify(command),
    headers: { 'content-type': 'application/json' },
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    retryAfter: response.headers.get('retry-after'),
  };
}

async function startRuntime(devices: readonly Record<string, unknown>[], clock: Clock): Promise<AddonRuntime> {
  return AddonRuntime.start({
    config: parseOptions({ devices }, builtInDrivers),
    dataDir: '/nonexistent',
    supervised: false,
    drivers: builtInDrivers,
    logger: silentLogger(),
    httpPort: 0,
    clock,
    archive: {
      append: () => undefined,
      flush: () => undefined,
      close: () => undefined,
      history: () => ({ resolution: 'raw', points: [] }),
    },
    stateStore: new MemoryStateStore(),
    haConfigDirs: [],
  });
}

/** Bounded wait for a condition that depends on real I/O (no assertion on how long it takes). */
async function eventually(what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the write budget under concurrency (Sungrow simulator, HTTP API)', () => {
  // The add-on's clock stands still: the rolling minute cannot pass during the test, however slow the machine.
  const clock = new ManualClock(Date.now());
  const sim = new SungrowSimulator();
  let runtime: AddonRuntime;

  beforeAll(async () => {
    const port = await sim.start({ host: '127.0.0.1', port: 0 });
    runtime = await startRuntime(
      [{ name: 'Inverter', driver: 'sungrow-sh', host: '127.0.0.1', port, unit_id: 1, transport: 'lan' }],
      clock,
    );
    const runner = runtime.manager.get('inverter');
    await eventually('the inverter to connect', async () => {
      await clock.advance(0);
      return runner?.availability.available === true;
    });
  });

  afterAll(async () => {
    await runtime.stop();
    await sim.stop();
  });

  it('100 parallel set_charge_limit requests cost at most the 12 writes a minute; the rest get 429', async () => {
    const before = sim.writeCount;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post(runtime.url, 'inverter', { type: 'set_charge_limit', power_w: 1000 + 10 * i }),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(12);
    expect(limited).toHaveLength(88);
    for (const a of limited) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(String(a.body['error'])).toMatch(/^write rate limit: device inverter already had 12 writes/);
    }
    // One register per set_charge_limit (33047): the device saw no more than the budget.
    expect(sim.writeCount - before).toBe(12);
  });

  it('counts the restore_normal safety write but never refuses it for the cap', async () => {
    const before = sim.writeCount;
    const answer = await post(runtime.url, 'inverter', { type: 'restore_normal' });
    expect(answer.status).toBe(200);
    // The inverter is already in its own mode: the adapter reads before writing and skips equal values.
    expect(sim.writeCount - before).toBe(0);
    expect((await post(runtime.url, 'inverter', { type: 'set_charge_limit', power_w: 3000 })).status).toBe(429);
  });

  it('refuses an until beyond the horizon, naming the field and the maximum', async () => {
    const until = new Date(clock.now() + 30 * 86_400_000).toISOString();
    const answer = await post(runtime.url, 'inverter', { type: 'force_charge', power_w: 1000, until });
    expect(answer.status).toBe(422);
    expect(answer.body['field']).toBe('until');
    expect(String(answer.body['error'])).toMatch(/^until: .* is more than 7 days ahead \(the furthest .* is /);
  });
});

describe('the relay hold binds a direct set_relay to a station member (demo kit)', () => {
  let kit: DemoKit;
  let runtime: AddonRuntime;
  const p1 = deviceSlug(KIT_NAMES.p1);
  const station = deviceSlug(KIT_NAMES.composite);

  beforeAll(async () => {
    kit = await startDemoKit({ socPct: 50, minOnOffS: 600, wiringEveryMs: 200 });
    runtime = await startRuntime(
      kit.devices.map((d) => ({ ...d, poll_interval_s: 1 })),
      systemClock,
    );
    await eventually('the station and P1 to connect', () =>
      [p1, station].every((id) => runtime.manager.get(id)?.availability.available === true),
    );
  });

  afterAll(async () => {
    await runtime?.stop();
    await kit?.stop();
  });

  it('lets only the first of six quick toggles switch the relay, and holds the station to it too', async () => {
    const relayOn = (): boolean => kit.p1.state.relays[0]?.on ?? false;
    // The kit starts with P1 open (not grid charging).
    const start = relayOn();
    expect(start).toBe(false);
    const states: boolean[] = [];
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) {
      answers.push(await post(runtime.url, p1, { type: 'set_relay', on: i % 2 === 0 ? !start : start }));
      states.push(relayOn());
    }
    expect(answers[0]).toMatchObject({ status: 200, body: { writes: 1 } });
    // Every toggle back is refused with the time left; a repeat of the state just set is no chatter.
    for (const i of [1, 3, 5]) {
      expect(answers[i]?.status).toBe(409);
      expect(answers[i]?.retryAfter).toMatch(/^\d+$/);
      expect(String(answers[i]?.body['error'])).toMatch(
        new RegExp(
          `^on: relay ${p1} channel 0 \\(P1 of ${station}\\) was switched .* ago; its minimum on/off time is 600 s, try again in \\d+ s$`,
        ),
      );
    }
    for (const i of [2, 4]) expect(answers[i]).toMatchObject({ status: 200, body: { writes: 0 } });
    expect(states).toEqual([!start, !start, !start, !start, !start, !start]);

    // The station must not move P1 back either: its write to the member passes the same hold.
    // P1 is on now (grid charging): restore_normal would switch it off. To the station's caller a held
    // member is a busy device (503, Retry-After = the hold's time left), so the hand-back retries it.
    const answer = await post(runtime.url, station, { type: 'restore_normal' });
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThan(5);
    expect(String(answer.body['error'])).toMatch(/minimum on\/off time is 600 s, try again in \d+ s/);
    expect(relayOn()).toBe(true);
  });
});

describe('which relays a station holds', () => {
  it('holds P1 and P3, on a relay entry or on the station’s own switches', () => {
    const base = { station: 'Bluetti', charge_power_w: 950 };
    expect(stationSwitchedRelays({ ...base, p1: 'Charger', p1_channel: 1, p3: 'Output', min_on_off_s: 60 })).toEqual([
      { field: 'p1', position: 'P1', channel: 1, minOnOffMs: 60_000 },
      { field: 'p3', position: 'P3', channel: 0, minOnOffMs: 60_000 },
    ]);
    // Own switches: the Bluetti's grid-charging (2) and AC output (0) channels, the default 300 s.
    expect(stationSwitchedRelays({ ...base, p1: 'station' })).toEqual([
      { field: 'station', position: 'P1', channel: 2, minOnOffMs: 300_000 },
      { field: 'station', position: 'P3', channel: 0, minOnOffMs: 300_000 },
    ]);
  });
});
