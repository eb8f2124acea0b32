import type { Command } from '@sps/core';
import { loadScheduler, type Scheduler } from '@sps/scheduler';
import { startControlRig, type ControlRig } from './helpers/control-rig';

/**
 * The controller and the other callers (HTTP, HA, CLI) spend one write budget per device: the
 * controller's writes take their slot through the same reservation, against the real Sungrow
 * simulator over Modbus TCP on loopback (the rig's ManualClock never lets the minute roll).
 */
let scheduler: Scheduler;
let rig: ControlRig;

beforeAll(async () => {
  scheduler = await loadScheduler();
});

afterEach(async () => {
  await rig.close();
});

it('100 parallel set_charge_limit writes and the controller together stay within 12 writes a minute', async () => {
  rig = await startControlRig(scheduler);
  await rig.controller.start();
  const controllerCommand = rig.controller.status().current.command;
  expect(controllerCommand).not.toBeNull();
  const slotsBefore = rig.guard.writesInLastMinute('inverter');
  expect(slotsBefore).toBe(1);

  // One request at a time on the Modbus transport, as the add-on's DeviceRunner does.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const registerWritesBefore = rig.sim.writeCount;
  const outcomes = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) => {
      const command: Command = { type: 'set_charge_limit', power_w: 1000 + 10 * i };
      return rig.guard.write('inverter', command, () => exclusive(() => rig.adapter.execute(command)));
    }),
  );
  const written = outcomes.filter((o) => o.status === 'fulfilled');
  expect(written).toHaveLength(11);
  for (const o of outcomes) {
    if (o.status === 'rejected') expect(String(o.reason)).toMatch(/write rate limit: device inverter already had 12/);
  }
  // set_charge_limit is one register (33047) each.
  expect(rig.sim.writeCount - registerWritesBefore).toBe(11);

  // The budget is spent: the controller's next write (a manual override) is postponed, not sent.
  const registers = rig.registers();
  await rig.controller.startOverride({ kind: 'force_discharge', power_w: 2000, duration_minutes: 30 });
  expect(rig.controller.status().lastError?.message).toMatch(/^write postponed: write rate limit/);
  expect(rig.registers()).toEqual(registers);
  expect(rig.guard.writesInLastMinute('inverter')).toBe(12);
});
