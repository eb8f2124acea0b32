import { runSps, SpsProcess, ensureBuilt } from './support/addon-process';

/**
 * `sps simulate` + `sps read` + `sps write` for the kit's network drivers, as a user runs them: the
 * built CLI as child processes, each simulator speaking its device's real protocol on loopback
 * (Bluetti through its GATT tunnel, Shelly Gen2 HTTP/WebSocket, Kasa's XOR protocol on TCP).
 */

interface ReadOutput {
  device: { id: string; driver: string; manufacturer: string; serial: string };
  readings: Record<string, unknown>;
}

const CASES = [
  {
    driver: 'bluetti',
    flags: ['--transport', 'tcp-sim'],
    manufacturer: 'Bluetti',
    expectReadings: (r: Record<string, unknown>) => expect(typeof r['battery_soc']).toBe('number'),
    write: ['set_relay', '--on', 'false', '--channel', '0'],
    applied: { ac_output_on: false },
  },
  {
    driver: 'shelly',
    flags: [],
    manufacturer: 'Shelly',
    expectReadings: (r: Record<string, unknown>) => expect(typeof r['power_0']).toBe('number'),
    write: ['set_relay', '--on', 'true'],
    applied: { on: true },
  },
  {
    driver: 'kasa',
    flags: [],
    manufacturer: 'TP-Link',
    expectReadings: (r: Record<string, unknown>) => expect(typeof r['load_power']).toBe('number'),
    write: ['set_relay', '--on', 'false'],
    applied: { on: false },
  },
] as const;

describe.each(CASES)(
  'sps simulate / read / write $driver',
  ({ driver, flags, manufacturer, expectReadings, write, applied }) => {
    let simulator: SpsProcess;
    let port: number;

    beforeAll(async () => {
      ensureBuilt();
      simulator = new SpsProcess(['simulate', driver, '--json']);
      const match = await simulator.waitForOutput(/"port":(\d+)/);
      port = Number(match[1]);
    }, 60_000);

    afterAll(async () => {
      await simulator?.kill();
    });

    it('reads the simulator once as JSON', async () => {
      const { code, stdout, stderr } = await runSps([
        'read',
        driver,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        ...flags,
        '--json',
      ]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const output = JSON.parse(stdout) as ReadOutput;
      expect(output.device).toMatchObject({ id: driver, driver, manufacturer });
      expectReadings(output.readings);
    });

    it('switches it, and the next read shows the change', async () => {
      const target = ['--host', '127.0.0.1', '--port', String(port), ...flags];
      const { code, stdout, stderr } = await runSps(['write', driver, ...write, ...target, '--json']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ device: { driver }, applied });
      const after = JSON.parse((await runSps(['read', driver, ...target, '--json'])).stdout) as ReadOutput;
      const [key, value] = Object.entries(applied)[0] as [string, boolean];
      const stateKey = key === 'on' ? (driver === 'kasa' ? 'relay_on' : 'switch_0') : key;
      expect(after.readings[stateKey]).toBe(value);
    });
  },
);
