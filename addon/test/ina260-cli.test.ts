import { ManualClock } from '@sps/core';
import { Ina260Simulator } from '@sps/device-ina260';
import { ina260Driver } from '../src/drivers/ina260';
import { SpsProcess, ensureBuilt, runSps } from './support/addon-process';

/**
 * `sps simulate ina260` and `sps read ina260 --transport tcp-sim …` as child processes, and the
 * driver's tcp-sim fields. An in-process simulator on a frozen clock gives exact values to compare.
 */

interface ReadOutput {
  device: Record<string, unknown>;
  readings: Record<string, number>;
}

beforeAll(() => ensureBuilt());

describe('sps simulate ina260 / sps read ina260 --transport tcp-sim', () => {
  it('prints the simulator address as JSON, serves reads, and stops on SIGINT', async () => {
    const simulator = new SpsProcess(['simulate', 'ina260', '--json']);
    try {
      const match = await simulator.waitForOutput(/^(\{.*\})\n/);
      const started = JSON.parse(match[1] as string) as { driver: string; host: string; port: number };
      expect(started).toEqual({
        driver: 'ina260',
        host: '127.0.0.1',
        port: expect.any(Number),
        read: `sps read ina260 --transport tcp-sim --host 127.0.0.1 --port ${started.port}`,
      });
      const result = await runSps([
        'read',
        'ina260',
        '--transport',
        'tcp-sim',
        '--host',
        '127.0.0.1',
        '--port',
        String(started.port),
        '--json',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout) as ReadOutput;
      expect(output.device).toMatchObject({
        driver: 'ina260',
        manufacturer: 'Texas Instruments',
        model: 'INA260',
        serial: `tcp-sim 127.0.0.1:${started.port}@0x40`,
      });
      expect(Object.keys(output.readings).sort()).toEqual([
        'averaging',
        'pv_current',
        'pv_energy',
        'pv_power',
        'pv_voltage',
      ]);
      simulator.child.kill('SIGINT');
      expect(await simulator.exitWithin(5000)).toEqual({ code: 0, signal: null });
    } finally {
      await simulator.kill();
    }
  });

  it('reads exactly what the simulated chip measures, at the address asked for', async () => {
    const simulator = new Ina260Simulator({
      clock: new ManualClock('2026-06-01T12:00:00Z'),
      chips: [{ address: 0x44, chip: { noise: false, panel: { utcOffsetHours: 0 } } }],
    });
    const port = await simulator.start();
    try {
      const args = ['read', 'ina260', '--transport', 'tcp-sim', '--host', '127.0.0.1', '--port', String(port)];
      const result = await runSps([...args, '--address', '0x44', '--averaging', '16', '--json']);
      expect(result.stderr).toBe('');
      const { readings } = JSON.parse(result.stdout) as ReadOutput;
      const state = simulator.chip(0x44).state;
      expect(state.powerW).toBeGreaterThan(100);
      expect(readings['pv_voltage']).toBeCloseTo(state.voltageV, 5);
      expect(readings['pv_current']).toBeCloseTo(state.currentA, 5);
      expect(readings['pv_power']).toBeCloseTo(state.powerW, 2);
      expect(readings['averaging']).toBe(16);
      expect(state.config.averaging).toBe(16);

      const absent = await runSps([...args, '--address', '0x41']);
      expect(absent.code).toBe(1);
      expect(absent.stderr).toBe(
        `sps read: connection refused: no device acknowledges address 0x41 on tcp-sim 127.0.0.1:${port} (ENXIO)\n`,
      );

      // The first spelling, --bus tcp-sim, still reads, with a note on stderr (stdout stays clean JSON).
      const old = await runSps([
        'read',
        'ina260',
        '--bus',
        'tcp-sim',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--address',
        '0x44',
      ]);
      expect(old.code).toBe(0);
      expect(old.stdout).toMatch(/^Texas Instruments INA260/);
      expect(old.stderr).toBe(
        'sps: note: bus tcp-sim is now transport tcp-sim (--transport tcp-sim); the old spelling still works\n',
      );
    } finally {
      await simulator.stop();
    }
  });

  it('names the missing tcp-sim field, and a real bus that is not there', async () => {
    const noPort = await runSps(['read', 'ina260', '--transport', 'tcp-sim', '--host', '127.0.0.1']);
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toBe('sps read: --port: is required for transport tcp-sim\n');

    const noBus = await runSps(['read', 'ina260', '--bus', '250']);
    expect(noBus.code).toBe(1);
    expect(noBus.stderr).toMatch(
      /^sps read: connection refused: \/dev\/i2c-250: the I2C bus device does not exist \(map \/dev\/i2c-N into the add-on\)/,
    );
  });
});

describe('the ina260 driver fields', () => {
  it('takes transport tcp-sim (and the old bus tcp-sim) with host and port, and requires both', () => {
    expect(ina260Driver.fields.parse({ transport: 'tcp-sim', host: '127.0.0.1', port: 5020 })).toMatchObject({
      transport: 'tcp-sim',
      host: '127.0.0.1',
      port: 5020,
    });
    for (const simulated of [{ transport: 'tcp-sim' }, { bus: 'tcp-sim' }]) {
      const missing = ina260Driver.fields.safeParse(simulated);
      expect(missing.success).toBe(false);
      expect(missing.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
        'host: is required for transport tcp-sim',
        'port: is required for transport tcp-sim',
      ]);
    }
    expect(ina260Driver.notes?.(ina260Driver.fields.parse({ bus: 'tcp-sim', host: 'h', port: 1 }))).toEqual([
      'bus tcp-sim is now transport tcp-sim (--transport tcp-sim); the old spelling still works',
    ]);
    const both = ina260Driver.fields.safeParse({ transport: 'tcp-sim', bus: 1, host: 'h', port: 1 });
    expect(both.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'bus: leave it out with transport tcp-sim',
    ]);
    expect(ina260Driver.fields.safeParse({}).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'bus: is required',
    ]);
    expect(ina260Driver.fields.parse({ bus: 'memory' })).toMatchObject({ bus: 'memory', address: 0x40 });
    expect(ina260Driver.fields.parse({ bus: '/dev/i2c-1' })).toMatchObject({ bus: 1 });
  });

  it('points at a running simulator', () => {
    const fields = ina260Driver.simulatorFields?.({ host: '127.0.0.1', port: 4000 });
    expect(ina260Driver.fields.parse(fields)).toEqual({
      transport: 'tcp-sim',
      host: '127.0.0.1',
      port: 4000,
      address: 0x40,
    });
  });
});
