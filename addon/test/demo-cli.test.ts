import net from 'node:net';
import { ensureBuilt, eventually, runSps, SpsProcess } from './support/addon-process';

/**
 * `sps demo` (what `pnpm start` runs) as a new user meets it: a busy port gives one line that
 * says which port and how to pick another, `pnpm start -- --port N` (a lone `--` before the flags)
 * works, and the demo prints each simulator's address with the `sps read` line that reaches it.
 */

beforeAll(() => ensureBuilt(), 180_000);

describe('sps demo', () => {
  it('on a busy port: one line naming the port and --port, in both pnpm forms; `--` is accepted', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      // What `pnpm start -- --port N` runs: the `--` reaches the CLI.
      const { code, stdout, stderr } = await runSps(['demo', '--', '--port', String(port)], 60_000);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `sps demo: cannot start the demo: port ${port} is already in use (another sps demo/run, or another ` +
          'program): choose a free one with --port N, e.g. pnpm start --port 8101 or pnpm start -- --port 8101 ' +
          '(0 = any free port)\n',
      );
      expect(code).toBe(1);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 60_000);

  it('prints where each simulator listens and an sps read line that reads it', async () => {
    const demo = new SpsProcess(['demo', '--port', '0', '--log-level', 'warning']);
    try {
      await demo.waitForOutput(/^ {2}data: .*$/m, 60_000);
      const lines = [...demo.stdout.matchAll(/^ {6}(sps read .*)$/gm)].map((m) => m[1] as string);
      // The Sungrow and the three Shelly relays have an address; the Bluetti's one link is the demo's. The
      // off-grid house: the Studer and the Pylontech on the same socketcand gateway, then its relay box.
      expect(lines.map((l) => l.split(' ')[2])).toEqual([
        'sungrow-sh',
        'shelly',
        'shelly',
        'shelly',
        'studer',
        'pylontech',
        'shelly',
      ]);
      const gateway = (driver: string): string | undefined =>
        lines.find((l) => l.split(' ')[2] === driver)?.match(/--port (\d+)/)?.[1];
      expect(gateway('studer')).toBeDefined();
      expect(gateway('pylontech')).toBe(gateway('studer'));
      expect(demo.stdout).toMatch(/^ {2}monitored: the off-grid house .*on one CAN bus$/m);
      expect(demo.stdout).toMatch(/^ {4}not optimised \(sps demo --off-grid optimises it instead\)$/m);
      expect(demo.stdout).toMatch(/Bluetti AC180 \(simulated\) on 127\.0\.0\.1:\d+: one connection at a time/);
      expect(demo.stdout).toContain('PV sensor (simulated): inside the add-on, no address');
      expect(demo.stdout).toMatch(/data: \S+ \(temporary, removed at exit; --data-dir DIR keeps it\)/);
      // The Sungrow, a relay, and the Studer and the BMS through the gateway the add-on also holds.
      for (const line of [lines[0], lines[1], lines[4], lines[5]]) {
        const { code, stdout, stderr } = await runSps([...(line as string).split(' ').slice(1), '--json']);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(Object.keys((JSON.parse(stdout) as { readings: object }).readings).length).toBeGreaterThan(0);
      }
      demo.child.kill('SIGTERM');
      expect((await demo.exitWithin(30_000)).code).toBe(0);
    } finally {
      await demo.kill();
    }
  }, 120_000);

  it('every reading the demo shows has a named entity, and every number a unit (codes and counts aside)', async () => {
    const demo = new SpsProcess(['demo', '--port', '0', '--log-level', 'warning']);
    try {
      const url = await demo.url();
      type Devices = { devices: { id: string; entities: { key: string; name: string; unit?: string }[] }[] };
      type Readings = {
        devices: Record<string, { readings: Record<string, { value: unknown; unit: string | null }> }>;
      };
      // Every device has answered once its readings are in.
      const [devices, readings] = await eventually(
        async () => {
          const d = (await (await fetch(`${url}api/devices`)).json()) as Devices;
          const r = (await (await fetch(`${url}api/readings`)).json()) as Readings;
          return d.devices.every((x) => Object.keys(r.devices[x.id]?.readings ?? {}).length > 0) ? [d, r] : undefined;
        },
        'readings from every device',
        60_000,
      );
      // Unit-less by nature: a state code, a sample count, and how many battery modules the BMS reports.
      const unitless = new Set(['running_state_code', 'averaging', 'module_count']);
      const missing: string[] = [];
      for (const device of devices.devices) {
        const entities = new Map(device.entities.map((e) => [e.key, e]));
        for (const [key, reading] of Object.entries(readings.devices[device.id]?.readings ?? {})) {
          const entity = entities.get(key);
          if (!entity) missing.push(`${device.id}.${key}: no entity`);
          else if (typeof reading.value === 'number' && reading.unit === null && !unitless.has(key))
            missing.push(`${device.id}.${key}: no unit`);
        }
      }
      expect(missing).toEqual([]);
    } finally {
      await demo.kill();
    }
  }, 120_000);

  it('plays the aggregator on a local Mosquitto: one event a few minutes ahead, in real time', async () => {
    const demo = new SpsProcess(['demo', '--port', '0', '--log-level', 'warning']);
    try {
      const url = await demo.url();
      await demo.waitForOutput(/^ {2}data: .*$/m, 60_000);
      const [, eventId] = await demo.waitForOutput(
        /^ {2}demand response: a local Mosquitto at mqtt:\/\/127\.0\.0\.1:\d+ plays the aggregator; event (\S+) starts at/m,
      );
      expect(demo.stdout).toMatch(/real time, 20 min/);
      expect(demo.stdout).toMatch(/the baseline averages 9 days of simulated grid import/);
      // The broker has acknowledged the event; the add-on's own copy arrives a moment later.
      const dr = await eventually(async () => {
        const body = (await (await fetch(`${url}api/dr`)).json()) as {
          mode: string;
          event: { id: string } | null;
          broker: { connected: boolean };
        };
        return body.mode === 'upcoming' ? body : undefined;
      }, 'the demo event upcoming in /api/dr');
      expect(dr).toMatchObject({ event: { id: eventId }, broker: { connected: true } });
      demo.child.kill('SIGTERM');
      expect((await demo.exitWithin(30_000)).code).toBe(0);
    } finally {
      await demo.kill();
    }
  }, 120_000);
});
