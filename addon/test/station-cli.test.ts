import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { main } from '../src/cli';
import { KIT_NAMES, startDemoKit, type DemoKit } from '../src/cli/demo-kit';

/**
 * `sps read station` / `sps write station` from an options file: the composite is built with its
 * members (the demo kit's Bluetti over its loopback GATT tunnel, Shelly relays over loopback HTTP,
 * the INA260 on the memory bus) exactly as the add-on builds it, read once, switched once.
 */

async function sps(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await main(args, { stdout, stderr, env });
  return { code, out, err };
}

describe('sps read / write of a configured device (the power station)', () => {
  let kit: DemoKit;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    kit = await startDemoKit({ socPct: 40, minOnOffS: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'sps-station-cli-'));
    file = path.join(dir, 'options.yaml');
    writeFileSync(file, stringify({ devices: kit.devices }));
  });

  afterAll(async () => {
    await kit.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the station with its members as JSON', async () => {
    const { code, out, err } = await sps(['read', 'station', '--config', file, '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const body = JSON.parse(out) as { device: Record<string, unknown>; readings: Record<string, unknown> };
    expect(body.device).toMatchObject({ id: 'power_station', driver: 'station', manufacturer: 'Bluetti' });
    expect(body.readings).toMatchObject({
      battery_soc: 40,
      export_power: 0,
      load_power: 400,
      grid_charging_on: false,
      ac_output_on: false,
      station_mode: 'idle',
      p1_available: true,
      p2_available: true,
      p3_available: true,
      p4_available: true,
      degraded_reason: null,
    });
  });

  it('prints a table naming every reading, and reads a member by its name', async () => {
    const table = await sps(['read', 'station', '--config', file]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^station_mode\s+idle/m);
    const member = await sps(['read', 'shelly', '--config', file, '--device', KIT_NAMES.p3, '--json']);
    expect(member.err).toBe('');
    expect(JSON.parse(member.out)).toMatchObject({
      device: { id: 'station_output_relay_simulated', driver: 'shelly' },
    });
  });

  it('switches the station through the safety guard: force_charge closes P1', async () => {
    const { code, out, err } = await sps([
      'write',
      'station',
      'force_charge',
      '--power-w',
      '950',
      '--config',
      file,
      '--json',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      device: { id: 'power_station', driver: 'station' },
      applied: { grid_charging_on: true, ac_output_on: false, charge_power_w: 950 },
    });
    expect(kit.p1.state.relays[0]?.on).toBe(true);
    const restored = await sps(['write', 'station', 'restore_normal', '--config', file]);
    expect(restored.code).toBe(0);
    expect(kit.p1.state.relays[0]?.on).toBe(false);
  });

  it('refuses what it cannot do with one line and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['read', 'station'],
        /^sps read: station is built from other configured devices: use --config FILE \[--device NAME\]\n$/,
      ],
      [
        ['read', 'station', '--device', 'Power station'],
        /^sps read: --device needs --config FILE \(outside Home Assistant\)\n$/,
      ],
      [
        ['read', 'station', '--config', file, '--host', '127.0.0.1'],
        /^sps read: --host: connection flags and --config\/--device exclude each other\n$/,
      ],
      [
        ['read', 'station', '--config', file, '--device', 'Garage'],
        /^sps read: --device: no configured device is named "Garage" \(configured: .*"Power station"\)\n$/,
      ],
      [
        ['read', 'station', '--config', file, '--device', KIT_NAMES.p1],
        /^sps read: --device: "Station charger \(simulated\)" is a shelly device, not station\n$/,
      ],
      [
        ['read', 'shelly', '--config', file],
        /^sps read: --device: 3 shelly devices are configured \(.*\); name one\n$/,
      ],
      [['read', 'kasa', '--config', file], /^sps read: --config: no kasa device is configured\n$/],
      [
        ['read', 'station', '--config', path.join(dir, 'missing.yaml')],
        /^sps read: invalid options: cannot read .*missing\.yaml \(ENOENT\)\n$/,
      ],
    ];
    for (const [args, expected] of cases) {
      const { code, err } = await sps(args);
      expect({ args, err }).toEqual({ args, err: expect.stringMatching(expected) });
      expect(code).toBe(2);
    }
  });

  it('names the member that is gone when the station itself is unreachable', async () => {
    const broken = path.join(dir, 'broken.yaml');
    const devices = kit.devices.map((d) => (d['driver'] === 'bluetti' ? { ...d, port: 1 } : d));
    writeFileSync(broken, stringify({ devices }));
    const { code, err } = await sps(['read', 'station', '--config', broken]);
    expect(code).toBe(1);
    expect(err).toMatch(
      /^sps read: connection refused: station bluetti_ac180_simulated: tunnel 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/,
    );
  });
});
