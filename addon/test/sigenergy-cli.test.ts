import { ManualClock } from '@sps/core';
import { SigenergySimulator } from '@sps/device-sigenergy';
import { SpsProcess, ensureBuilt, runSps } from './support/addon-process';

/**
 * `sps simulate sigenergy` and `sps read|write sigenergy` as child processes against real Modbus TCP
 * on loopback: the simulator prints how to reach it, a read gets the plant's readings in project
 * signs with the inverter's identity, a write drives remote EMS, and SIGINT stops the simulator.
 */

interface ReadOutput {
  device: Record<string, unknown>;
  readings: Record<string, unknown>;
}

beforeAll(() => ensureBuilt());

describe('sps simulate / read / write sigenergy', () => {
  it('simulate prints its address as JSON, read reaches it, SIGINT stops it', async () => {
    const simulator = new SpsProcess(['simulate', 'sigenergy', '--json']);
    try {
      const match = await simulator.waitForOutput(/^(\{.*\})\n/);
      const started = JSON.parse(match[1] as string) as { driver: string; port: number; read: string };
      expect(started).toMatchObject({ driver: 'sigenergy', host: '127.0.0.1', port: expect.any(Number) });
      expect(started.read).toContain(`sps read sigenergy --host 127.0.0.1 --port ${started.port}`);
      const result = await runSps([
        'read',
        'sigenergy',
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
        driver: 'sigenergy',
        manufacturer: 'Sigenergy',
        model: 'SigenStor EC 10.0 TP',
        serial: 'SIMSIG0001',
      });
      expect(output.readings).toMatchObject({
        battery_soc: expect.any(Number),
        battery_power: expect.any(Number),
        grid_power: expect.any(Number),
        ems_mode: 'self_consumption',
        firmware_quirk: 'none',
      });
      simulator.child.kill('SIGINT');
      expect(await simulator.exitWithin(5000)).toEqual({ code: 0, signal: null });
    } finally {
      await simulator.kill();
    }
  });

  it('read gives the simulated plant exactly, and write drives remote EMS and hands back', async () => {
    const sim = new SigenergySimulator({ clock: new ManualClock('2026-01-15T20:00:00Z') });
    const port = await sim.start();
    try {
      const target = ['--host', '127.0.0.1', '--port', String(port)];
      const read = await runSps(['read', 'sigenergy', ...target, '--json']);
      expect(read.stderr).toBe('');
      const { readings } = JSON.parse(read.stdout) as ReadOutput;
      const s = sim.state;
      expect(readings).toMatchObject({
        battery_power: s.batteryPowerW,
        grid_power: s.gridPowerW,
        load_power: s.loadPowerW,
        pv_power: 0,
      });

      const write = await runSps(['write', 'sigenergy', 'force_discharge', '--power-w', '2500', ...target, '--json']);
      expect(write.stderr).toBe('');
      expect(write.code).toBe(0);
      expect(JSON.parse(write.stdout)).toMatchObject({
        applied: { power_w: 2500, ems_mode: 'forced', remote_ems_mode: 'discharge_ess_first' },
      });
      expect(sim.holdingRegisters.get(40029)).toBe(1);
      expect(sim.state.batteryPowerW).toBe(2500);

      const restore = await runSps(['write', 'sigenergy', 'restore_normal', ...target]);
      expect(restore.code).toBe(0);
      expect(sim.holdingRegisters.get(40029)).toBe(0);

      const tooMuch = await runSps(['write', 'sigenergy', 'force_charge', '--power-w', '9000', ...target]);
      expect(tooMuch.code).not.toBe(0);
      expect(tooMuch.stderr).toMatch(/power_w/);
    } finally {
      await sim.stop();
    }
  });

  it('a bad unit id flag names the flag', async () => {
    const bad = await runSps(['read', 'sigenergy', '--host', '127.0.0.1', '--plant-unit-id', '300']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('sps read: --plant-unit-id: expected an integer between 1 and 247\n');
  });
});
