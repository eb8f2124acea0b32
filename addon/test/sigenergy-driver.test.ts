import { commandForTarget } from '@sps/control';
import { ManualClock } from '@sps/core';
import { SigenergySimulator } from '@sps/device-sigenergy';
import { sigenergyDriver } from '../src/drivers/sigenergy';

/** The add-on's sigenergy driver: option defaults, and the firmware quirk reaching the device's log. */

describe('sigenergy driver', () => {
  it('fills the option defaults and keeps polling at 2 s or slower', () => {
    const fields = sigenergyDriver.fields.parse({ host: '192.168.1.60' });
    expect(fields).toEqual({
      host: '192.168.1.60',
      port: 502,
      plant_unit_id: 247,
      inverter_unit_id: 1,
      inverter_count: 1,
    });
    expect(sigenergyDriver.pollIntervals(fields)).toEqual({ defaultMs: 5000, minMs: 2000 });
    expect(sigenergyDriver.fields.safeParse({ host: 'h', unit_id: 1 }).success).toBe(false);
  });

  it("the controller's idle interval becomes remote EMS standby (hold), not a 0 W forced charge", async () => {
    const clock = new ManualClock('2026-01-15T12:00:00Z');
    const sim = new SigenergySimulator({ clock });
    const port = await sim.start();
    const device = sigenergyDriver.create('sigenstor', sigenergyDriver.fields.parse({ host: '127.0.0.1', port }), {
      clock,
    });
    try {
      await device.connect();
      const command = commandForTarget({ kind: 'hold' }, device.describe().capabilities);
      expect(command).toEqual({ type: 'set_operating_mode', mode: 'hold' });
      await device.execute(command);
      expect(sim.state.batteryPowerW).toBe(0);
      expect((await device.read()).values).toMatchObject({ ems_mode: 'hold' });
    } finally {
      await device.close();
      await sim.stop();
    }
  });

  it('logs the PV-reads-0 firmware once as a warning, on the device log it is given', async () => {
    const clock = new ManualClock('2026-01-15T12:00:00Z');
    const sim = new SigenergySimulator({ clock, firmware: { plantPvReadsZero: true } });
    const port = await sim.start();
    const lines: { level: string; details: Readonly<Record<string, unknown>>; message: string }[] = [];
    const device = sigenergyDriver.create('sigenstor', sigenergyDriver.fields.parse({ host: '127.0.0.1', port }), {
      clock,
      log: (level, details, message) => lines.push({ level, details, message }),
    });
    try {
      await device.connect();
      await device.read();
      await device.read();
      expect(lines).toEqual([
        {
          level: 'warn',
          details: { code: 'plant_pv_reads_zero', plant_pv_power: 0, inverter_pv_power: sim.state.pvPowerW },
          message: expect.stringContaining('pv_power comes from the inverters'),
        },
      ]);
    } finally {
      await device.close();
      await sim.stop();
    }
  });
});
