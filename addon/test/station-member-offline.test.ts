import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoKit, type DemoKit } from '../src/cli/demo-kit';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * Issue 10 item 12: a station member going offline must be a degraded reading, not an unhandled
 * rejection per poll. The add-on runs as a child process (`sps run`) so Node's own unhandled-
 * rejection reporting is what is checked — jest forgives a rejection that is handled late, the
 * add-on's global handler logs it. The kit's simulators run in this test process: P1 answers
 * slowly and P2 is gone, so P2's refusal arrives while the composite is still waiting on P1.
 */

interface ReadingsBody {
  devices: Record<
    string,
    { available: boolean; timestamp: string | null; readings: Record<string, { value: unknown }> }
  >;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-member-offline-'));
let kit: DemoKit;
let addon: SpsProcess | undefined;

beforeAll(async () => {
  ensureBuilt();
  kit = await startDemoKit({ wiringEveryMs: 200 });
}, 180_000);

afterAll(async () => {
  // kill() also fails the suite if the add-on logged an unhandled rejection.
  try {
    await addon?.kill();
  } finally {
    await kit.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

it('keeps polling the station with a member relay offline, and logs no unhandled rejection', async () => {
  const optionsFile = path.join(tmp, 'options.json');
  const devices = kit.devices.map((d) => ({ ...d, poll_interval_s: 1 }));
  writeFileSync(optionsFile, JSON.stringify({ log_level: 'debug', devices }));
  addon = new SpsProcess(['run', '--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0']);
  const base = await addon.url();
  // The composite's id is the slug of its name (KIT_NAMES.composite, "Power station").
  const composite = (body: ReadingsBody): ReadingsBody['devices'][string] | undefined => body.devices['power_station'];
  await eventually(async () => {
    const body = (await (await fetch(`${base}api/readings`)).json()) as ReadingsBody;
    return composite(body)?.readings['p2_available']?.value === true ? true : undefined;
  }, 'the composite reading P2');

  kit.p1.setFaults({ responseDelayMs: 300 });
  await kit.p2.stop();
  // Several polls with P2 down: each one a degraded reading of a station that stays available.
  const polls = new Set<string>();
  await eventually(
    async () => {
      const station = composite((await (await fetch(`${base}api/readings`)).json()) as ReadingsBody);
      if (station?.available === true && station.readings['p2_available']?.value === false) {
        expect(String(station.readings['degraded_reason']?.value)).toMatch(/^P2 .*connection refused/);
        polls.add(String(station.timestamp));
      }
      return polls.size >= 4 ? true : undefined;
    },
    'four polls of the station with P2 offline',
    30_000,
  );
  expect(addon.unhandledRejections()).toEqual([]);
}, 60_000);
