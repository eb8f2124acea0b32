import {
  CommandRejectedError,
  ManualClock,
  type Command,
  type CommandOutcome,
  type DeviceCapabilities,
  type DeviceCommand,
} from '@sps/core';
import { SafetyGuard, WriteRateLimitedError } from '@sps/control';

/**
 * A driver's own command (`device_command`) in the SafetyGuard: the same checks, write budget and
 * identical-command suppression as a core command, and the one limit the guard knows of it — a
 * charge current × the bank's nominal voltage held to the maximum charge power.
 */
const studer: DeviceCapabilities = {
  commands: ['set_charge_limit', 'set_operating_mode', 'restore_normal', 'device_command'],
  // The Xtender's 1138 max (100 A) × 48 V.
  limits: { maxChargeW: 4800 },
  deviceCommands: [
    { name: 'set_charger_current', chargeCurrent: { field: 'amps', nominalVoltageV: 48 } },
    { name: 'set_ac_input_current_limit' },
  ],
};

const own = (name: string, args: Record<string, number | boolean>): DeviceCommand => ({
  type: 'device_command',
  name,
  ...args,
});

function rejection(fn: () => unknown): CommandRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CommandRejectedError) return err;
    throw err;
  }
  throw new Error('expected a CommandRejectedError');
}

const instant = (sent: Command[], command: Command) => (): Promise<CommandOutcome> => {
  sent.push(command);
  return Promise.resolve({ command, applied: {}, writes: 1 });
};

describe("SafetyGuard on a driver's own command", () => {
  it('passes a declared command within the limits unchanged', () => {
    const guard = new SafetyGuard();
    const command = own('set_ac_input_current_limit', { amps: 16 });
    expect(guard.check(command, studer)).toEqual(command);
    expect(guard.check(own('set_charger_current', { amps: 100 }), studer)).toEqual(
      own('set_charger_current', { amps: 100 }),
    );
  });

  it('refuses a name the device does not declare, and a device that takes none', () => {
    const guard = new SafetyGuard();
    const unknown = rejection(() => guard.check(own('set_turbo', { on: true }), studer));
    expect(unknown.field).toBe('name');
    expect(unknown.message).toMatch(/no command "set_turbo".*set_charger_current, set_ac_input_current_limit/);
    const inverter: DeviceCapabilities = { commands: ['set_charge_limit'], limits: {} };
    const none = rejection(() => guard.check(own('set_charger_current', { amps: 1 }), inverter));
    expect(none.field).toBe('type');
    expect(none.message).toMatch(/does not support "device_command"/);
  });

  it("refuses a charger current above the user's max charge power ÷ nominal voltage; clamp caps it", () => {
    const guard = new SafetyGuard({ limits: { backupReservePct: 10, maxChargeW: 2400 } });
    expect(guard.check(own('set_charger_current', { amps: 50 }), studer)).toMatchObject({ amps: 50 });
    const err = rejection(() => guard.check(own('set_charger_current', { amps: 51 }), studer));
    expect(err.field).toBe('amps');
    expect(err.message).toBe('amps: 51 A × 48 V = 2448 W exceeds the maximum charge power of 2400 W (at most 50 A)');
    expect(guard.clamp(own('set_charger_current', { amps: 80 }), studer)).toEqual(
      own('set_charger_current', { amps: 50 }),
    );
    // Without a user cap the device's own maximum binds.
    const deviceOnly = new SafetyGuard();
    expect(rejection(() => deviceOnly.check(own('set_charger_current', { amps: 101 }), studer)).message).toMatch(
      /4800 W \(at most 100 A\)/,
    );
    // The AC input limit is no charge current: the guard has no limit for it (the device checks its range).
    expect(guard.check(own('set_ac_input_current_limit', { amps: 50 }), studer)).toMatchObject({ amps: 50 });
  });

  it('rejects a malformed envelope, naming the field', () => {
    const guard = new SafetyGuard();
    expect(rejection(() => guard.check({ type: 'device_command', name: 'x', amps: [1] }, studer)).field).toBe('amps');
    expect(rejection(() => guard.check({ type: 'device_command', amps: 1 }, studer)).field).toBe('name');
  });

  it('suppresses an identical command inside the window (any field order), not a different one', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { duplicateWindowMs: 30_000 } });
    const sent: Command[] = [];
    const a = own('set_ac_input_current_limit', { amps: 16 });
    expect((await guard.write('studer', a, instant(sent, a))).status).toBe('written');
    const same = { amps: 16, name: 'set_ac_input_current_limit', type: 'device_command' } as const;
    expect((await guard.write('studer', same, instant(sent, same))).status).toBe('duplicate');
    const otherName = own('set_charger_current', { amps: 16 });
    expect((await guard.write('studer', otherName, instant(sent, otherName))).status).toBe('written');
    expect(sent).toHaveLength(2);
  });

  it("counts a driver's own commands in the device's write budget", async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { maxWritesPerMinute: 2, duplicateWindowMs: 0 } });
    const sent: Command[] = [];
    const first = own('set_ac_input_current_limit', { amps: 10 });
    const second: Command = { type: 'set_charge_limit', power_w: 960 };
    await guard.write('studer', first, instant(sent, first));
    await guard.write('studer', second, instant(sent, second));
    const third = own('set_inverter_allowed', { on: false });
    const err = await guard.write('studer', third, instant(sent, third)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteRateLimitedError);
    expect(sent).toHaveLength(2);
    await clock.advance(60_000);
    expect((await guard.write('studer', third, instant(sent, third))).status).toBe('written');
  });
});
