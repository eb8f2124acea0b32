import { COMMAND_TYPES, CommandRejectedError, ManualClock, type DeviceCapabilities } from '@sps/core';
import { SafetyGuard, WriteRateLimitedError } from '@sps/control';

const inverter: DeviceCapabilities = {
  commands: COMMAND_TYPES.filter((t) => t !== 'set_relay'),
  limits: { maxChargeW: 10_000, maxDischargeW: 10_000, maxExportW: 8_000, minBackupReservePct: 5 },
  operatingModes: ['self_consumption', 'forced'],
};

function rejection(fn: () => unknown): CommandRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CommandRejectedError) return err;
    throw err;
  }
  throw new Error('expected a CommandRejectedError');
}

describe('SafetyGuard.check', () => {
  const guard = new SafetyGuard({
    limits: { backupReservePct: 10, maxChargeW: 5000, maxDischargeW: 4000, exportLimitW: 3000 },
    clock: new ManualClock('2026-01-01T00:00:00Z'),
  });

  it('passes a command within every limit unchanged', () => {
    expect(guard.check({ type: 'force_charge', power_w: 5000 }, inverter)).toEqual({
      type: 'force_charge',
      power_w: 5000,
    });
  });

  it('rejects a command type the device does not support, naming the field', () => {
    const err = rejection(() => guard.check({ type: 'set_relay', on: true }, inverter));
    expect(err.field).toBe('type');
    expect(err.message).toMatch(/does not support "set_relay"/);
  });

  it('applies the tighter of the user cap and the device limit', () => {
    const err = rejection(() => guard.check({ type: 'force_charge', power_w: 5001 }, inverter));
    expect(err.field).toBe('power_w');
    expect(err.message).toBe('power_w: 5001 W exceeds the maximum charge power of 5000 W');
    const deviceOnly = new SafetyGuard({ limits: { backupReservePct: 10 } });
    expect(rejection(() => deviceOnly.check({ type: 'force_charge', power_w: 10_001 }, inverter)).message).toMatch(
      /10000 W/,
    );
  });

  it('caps discharge, discharge limit, charge limit and export limit', () => {
    expect(rejection(() => guard.check({ type: 'force_discharge', power_w: 4500 }, inverter)).message).toMatch(
      /maximum discharge power of 4000 W/,
    );
    expect(rejection(() => guard.check({ type: 'set_discharge_limit', power_w: 4001 }, inverter)).field).toBe(
      'power_w',
    );
    expect(rejection(() => guard.check({ type: 'set_charge_limit', power_w: 6000 }, inverter)).field).toBe('power_w');
    expect(rejection(() => guard.check({ type: 'set_export_limit', power_w: 3001 }, inverter)).message).toMatch(
      /export limit of 3000 W/,
    );
  });

  it('never lets a command lower the backup reserve below the user reserve', () => {
    const err = rejection(() => guard.check({ type: 'set_backup_reserve', percent: 8 }, inverter));
    expect(err.field).toBe('percent');
    expect(err.message).toMatch(/lowest allowed backup reserve of 10 %/);
    expect(guard.check({ type: 'set_backup_reserve', percent: 10 }, inverter)).toEqual({
      type: 'set_backup_reserve',
      percent: 10,
    });
  });

  it('refuses to force a discharge at or below the backup reserve', () => {
    const err = rejection(() =>
      guard.check({ type: 'force_discharge', power_w: 1000 }, inverter, { batterySocPct: 10 }),
    );
    expect(err.message).toMatch(/at or below the backup reserve of 10 %/);
    expect(guard.check({ type: 'force_discharge', power_w: 1000 }, inverter, { batterySocPct: 11 })).toBeDefined();
  });

  it('rejects an operating mode the device does not know', () => {
    const err = rejection(() => guard.check({ type: 'set_operating_mode', mode: 'turbo' }, inverter));
    expect(err.field).toBe('mode');
  });

  it('rejects an until that is not in the future', () => {
    const err = rejection(() =>
      guard.check({ type: 'force_charge', power_w: 100, until: '2025-12-31T23:00:00Z' }, inverter),
    );
    expect(err.field).toBe('until');
  });

  it('validates untrusted input and names the bad field', () => {
    expect(rejection(() => guard.check({ type: 'force_charge', power_w: -1 }, inverter)).field).toBe('power_w');
    expect(rejection(() => guard.check({ type: 'explode' }, inverter)).field).toBe('type');
    expect(rejection(() => guard.check('nonsense', inverter)).field).toBe('type');
  });
});

describe('SafetyGuard.clamp', () => {
  const guard = new SafetyGuard({ limits: { backupReservePct: 20, maxChargeW: 5000 } });

  it('caps power and raises the reserve instead of rejecting', () => {
    expect(guard.clamp({ type: 'force_charge', power_w: 9000 }, inverter)).toEqual({
      type: 'force_charge',
      power_w: 5000,
    });
    expect(guard.clamp({ type: 'force_discharge', power_w: 20_000 }, inverter)).toEqual({
      type: 'force_discharge',
      power_w: 10_000,
    });
    expect(guard.clamp({ type: 'set_backup_reserve', percent: 5 }, inverter)).toEqual({
      type: 'set_backup_reserve',
      percent: 20,
    });
  });

  it('still rejects what cannot be clamped', () => {
    expect(() => guard.clamp({ type: 'set_relay', on: true }, inverter)).toThrow(CommandRejectedError);
    expect(() => guard.clamp({ type: 'force_discharge', power_w: 100 }, inverter, { batterySocPct: 15 })).toThrow(
      /backup reserve/,
    );
  });
});

describe('write-rate limiting', () => {
  it('does not re-send an identical command inside the window, and does after it', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { duplicateWindowMs: 30_000 } });
    const cmd = { type: 'force_charge', power_w: 2000 } as const;
    expect(guard.admitWrite('inv', cmd).action).toBe('send');
    guard.recordWrite('inv', cmd);
    await clock.advance(10_000);
    expect(guard.admitWrite('inv', { power_w: 2000, type: 'force_charge' }).action).toBe('skip_duplicate');
    expect(guard.admitWrite('inv', { type: 'force_charge', power_w: 2100 }).action).toBe('send');
    expect(guard.admitWrite('other', cmd).action).toBe('send');
    await clock.advance(20_000);
    expect(guard.admitWrite('inv', cmd).action).toBe('send');
  });

  it('refuses more than N writes a minute per device and recovers as the minute rolls', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { maxWritesPerMinute: 3, duplicateWindowMs: 0 } });
    for (let i = 0; i < 3; i++) {
      guard.admitWrite('inv', { type: 'set_charge_limit', power_w: 1000 + i });
      guard.recordWrite('inv', { type: 'set_charge_limit', power_w: 1000 + i });
      await clock.advance(1000);
    }
    let err: unknown;
    try {
      guard.admitWrite('inv', { type: 'set_charge_limit', power_w: 5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WriteRateLimitedError);
    expect((err as WriteRateLimitedError).retryAfterMs).toBe(57_000);
    expect(guard.admitWrite('other', { type: 'restore_normal' }).action).toBe('send');
    await clock.advance(57_000);
    expect(guard.admitWrite('inv', { type: 'set_charge_limit', power_w: 5 }).action).toBe('send');
  });

  it('forgets the last command so it can be re-sent after a reconnect', () => {
    const guard = new SafetyGuard({ clock: new ManualClock() });
    guard.recordWrite('inv', { type: 'restore_normal' });
    expect(guard.admitWrite('inv', { type: 'restore_normal' }).action).toBe('skip_duplicate');
    guard.forgetLastWrite('inv');
    expect(guard.admitWrite('inv', { type: 'restore_normal' }).action).toBe('send');
  });
});
