import {
  COMMAND_TYPES,
  CommandRejectedError,
  DeviceError,
  ManualClock,
  type Command,
  type CommandOutcome,
  type DeviceCapabilities,
} from '@sps/core';
import {
  MAX_UNTIL_HORIZON_MS,
  RelayHoldError,
  SafetyGuard,
  WriteRateLimitedError,
  type GuardedWrite,
  type RelayChange,
  type WriteLedger,
} from '@sps/control';

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

  it('rejects an until beyond the horizon, naming the field and the maximum', () => {
    const clock = new ManualClock('2026-06-01T00:00:00Z');
    const timed = new SafetyGuard({ clock });
    const at = (days: number) => new Date(clock.now() + days * 86_400_000).toISOString();
    const err = rejection(() => timed.check({ type: 'force_discharge', power_w: 100, until: at(30) }, inverter));
    expect(err.field).toBe('until');
    expect(err.message).toBe(
      'until: 2026-07-01T00:00:00.000Z is more than 7 days ahead (the furthest a forced mode may be timed is 2026-06-08T00:00:00.000Z)',
    );
    expect(MAX_UNTIL_HORIZON_MS).toBe(7 * 86_400_000);
    expect(timed.check({ type: 'force_charge', power_w: 100, until: at(7) }, inverter)).toMatchObject({ until: at(7) });
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
  /** A device write that succeeds (or fails) when the test says so, counting what reached it. */
  function stubDevice() {
    const sent: Command[] = [];
    const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
    return {
      sent,
      pending,
      send: (command: Command) => (): Promise<CommandOutcome> => {
        sent.push(command);
        return new Promise((resolve, reject) =>
          pending.push({ resolve: () => resolve({ command, applied: {}, writes: 1 }), reject }),
        );
      },
      /** A write that completes at once. */
      instant: (command: Command) => (): Promise<CommandOutcome> => {
        sent.push(command);
        return Promise.resolve({ command, applied: {}, writes: 1 });
      },
    };
  }
  const statusOf = async (p: Promise<GuardedWrite>): Promise<string> => {
    try {
      return (await p).status;
    } catch (err) {
      return err instanceof Error ? err.name : 'error';
    }
  };

  it('does not re-send an identical command inside the window, and does after it', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { duplicateWindowMs: 30_000 } });
    const device = stubDevice();
    const cmd = { type: 'force_charge', power_w: 2000 } as const;
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('written');
    await clock.advance(10_000);
    const same = { power_w: 2000, type: 'force_charge' } as const;
    expect((await guard.write('inv', same, device.instant(same))).status).toBe('duplicate');
    const other = { type: 'force_charge', power_w: 2100 } as const;
    expect((await guard.write('inv', other, device.instant(other))).status).toBe('written');
    expect((await guard.write('other', cmd, device.instant(cmd))).status).toBe('written');
    // The device now holds 2100 W: 2000 W is no duplicate any more.
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('written');
    await clock.advance(30_000);
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('written');
    expect(device.sent).toHaveLength(5);
  });

  it('refuses more than N writes a minute per device and recovers as the minute rolls', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { maxWritesPerMinute: 3, duplicateWindowMs: 0 } });
    const device = stubDevice();
    for (let i = 0; i < 3; i++) {
      const cmd = { type: 'set_charge_limit', power_w: 1000 + i } as const;
      await guard.write('inv', cmd, device.instant(cmd));
      await clock.advance(1000);
    }
    const cmd = { type: 'set_charge_limit', power_w: 5 } as const;
    const err = await guard.write('inv', cmd, device.instant(cmd)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteRateLimitedError);
    expect((err as WriteRateLimitedError).retryAfterMs).toBe(57_000);
    expect((err as WriteRateLimitedError).message).toMatch(/device inv already had 3 writes .*limit 3.*retry in 57 s/);
    expect((await guard.write('other', { type: 'restore_normal' }, device.instant(cmd))).status).toBe('written');
    await clock.advance(57_000);
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('written');
  });

  it('takes the slot before the write starts: concurrent writes cannot all pass the check', async () => {
    const guard = new SafetyGuard({ clock: new ManualClock(), rateLimit: { maxWritesPerMinute: 12 } });
    const device = stubDevice();
    const writes = Array.from({ length: 100 }, (_, i) => {
      const cmd = { type: 'set_charge_limit', power_w: 1000 + 10 * i } as const;
      return statusOf(guard.write('inv', cmd, device.send(cmd)));
    });
    // Let every caller reach the device before any write completes.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    for (const p of device.pending) p.resolve();
    const statuses = await Promise.all(writes);
    expect(statuses.filter((s) => s === 'written')).toHaveLength(12);
    expect(statuses.filter((s) => s === 'WriteRateLimitedError' || s === 'CommandRejectedError')).toHaveLength(88);
    expect(device.sent).toHaveLength(12);
    expect(guard.writesInLastMinute('inv')).toBe(12);
  });

  it("lets an identical command in flight share the first one's outcome, failure included", async () => {
    const guard = new SafetyGuard({ clock: new ManualClock() });
    const device = stubDevice();
    const cmd = { type: 'set_export_limit', power_w: 500 } as const;
    const first = guard.write('inv', cmd, device.send(cmd));
    const second = guard.write('inv', { power_w: 500, type: 'set_export_limit' }, device.send(cmd));
    await Promise.resolve();
    expect(device.sent).toHaveLength(1);
    device.pending[0]?.reject(new DeviceError('timeout', 'no answer within 3000 ms'));
    await expect(first).rejects.toThrow('no answer');
    // The second caller is not told "success" for a write that failed.
    await expect(second).rejects.toThrow('no answer');

    // After a failure the same command is written again, not answered from the duplicate memory.
    const retry = guard.write('inv', cmd, device.send(cmd));
    const joined = guard.write('inv', cmd, device.send(cmd));
    await Promise.resolve();
    await Promise.resolve();
    device.pending[1]?.resolve();
    expect((await retry).status).toBe('written');
    expect((await joined).status).toBe('joined');
    expect(device.sent).toHaveLength(2);
    // Failed writes keep their slot: a timed-out write may have reached the flash.
    expect(guard.writesInLastMinute('inv')).toBe(2);
  });

  it('never refuses restore_normal for the per-minute cap, and still counts it', async () => {
    const guard = new SafetyGuard({ clock: new ManualClock(), rateLimit: { maxWritesPerMinute: 2 } });
    const device = stubDevice();
    for (const power_w of [100, 200]) {
      const cmd = { type: 'set_charge_limit', power_w } as const;
      await guard.write('inv', cmd, device.instant(cmd));
    }
    const restore = { type: 'restore_normal' } as const;
    expect((await guard.write('inv', restore, device.instant(restore))).status).toBe('written');
    // Not answered from memory either: the safety write always reaches the device.
    expect((await guard.write('inv', restore, device.instant(restore))).status).toBe('written');
    expect(guard.writesInLastMinute('inv')).toBe(4);
    const cmd = { type: 'set_charge_limit', power_w: 300 } as const;
    await expect(guard.write('inv', cmd, device.instant(cmd))).rejects.toBeInstanceOf(WriteRateLimitedError);
  });

  it('forgets the last command so it can be re-sent after a reconnect', async () => {
    const guard = new SafetyGuard({ clock: new ManualClock() });
    const device = stubDevice();
    const cmd = { type: 'set_backup_reserve', percent: 20 } as const;
    await guard.write('inv', cmd, device.instant(cmd));
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('duplicate');
    guard.forgetLastWrite('inv');
    expect((await guard.write('inv', cmd, device.instant(cmd))).status).toBe('written');
  });

  it('counts the writes another process recorded in a shared ledger', async () => {
    const clock = new ManualClock();
    const times = new Map<string, number[]>([['inv', [clock.now() - 1000, clock.now() - 500]]]);
    const ledger: WriteLedger = {
      record: (id, at) => times.set(id, [...(times.get(id) ?? []), at]),
      recent: (id, since) => (times.get(id) ?? []).filter((t) => t >= since),
      recordRelayChange: () => undefined,
      lastRelayChange: () => undefined,
    };
    const guard = new SafetyGuard({ clock, rateLimit: { maxWritesPerMinute: 3, ledger } });
    const device = stubDevice();
    const a = { type: 'set_charge_limit', power_w: 1 } as const;
    const b = { type: 'set_charge_limit', power_w: 2 } as const;
    expect((await guard.write('inv', a, device.instant(a))).status).toBe('written');
    await expect(guard.write('inv', b, device.instant(b))).rejects.toBeInstanceOf(WriteRateLimitedError);
    expect(times.get('inv')).toHaveLength(3);
  });
});

describe('relay hold (anti-chatter)', () => {
  const on = (value: boolean) => ({ type: 'set_relay', on: value, channel: 0 }) as const;
  const send = (command: Command) => (): Promise<CommandOutcome> =>
    Promise.resolve({ command, applied: {}, writes: 1 });

  it('refuses a change inside the minimum on/off time, naming the time left, and allows it after', async () => {
    const clock = new ManualClock();
    const guard = new SafetyGuard({ clock, rateLimit: { duplicateWindowMs: 0 } });
    guard.holdRelay({ deviceId: 'p1', channel: 0, minOnOffMs: 60_000, label: 'P1 of power_station' });
    expect((await guard.write('p1', on(true), send(on(true)))).status).toBe('written');
    await clock.advance(15_000);
    const err = await guard.write('p1', on(false), send(on(false))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayHoldError);
    expect((err as RelayHoldError).message).toBe(
      'on: relay p1 channel 0 (P1 of power_station) was switched on 15 s ago; its minimum on/off time is 60 s, try again in 45 s',
    );
    expect((err as RelayHoldError).field).toBe('on');
    expect((err as RelayHoldError).retryAfterMs).toBe(45_000);
    // The same state again is no chatter; other channels and devices are free.
    expect((await guard.write('p1', on(true), send(on(true)))).status).toBe('written');
    const other = { type: 'set_relay', on: false, channel: 1 } as const;
    expect((await guard.write('p1', other, send(other))).status).toBe('written');
    expect((await guard.write('p2', on(false), send(on(false)))).status).toBe('written');
    await clock.advance(45_000);
    expect(guard.relayWaitMs('p1', 0)).toBe(0);
    expect((await guard.write('p1', on(false), send(on(false)))).status).toBe('written');
    expect(guard.relayWaitMs('p1', 0)).toBe(60_000);
  });

  it('holds a relay switched by another process, from the shared ledger', async () => {
    const clock = new ManualClock();
    const changes = new Map<string, RelayChange>([['p1#0', { on: true, at: clock.now() - 10_000 }]]);
    const ledger: WriteLedger = {
      record: () => undefined,
      recent: () => [],
      recordRelayChange: (id, channel, change) => changes.set(`${id}#${channel}`, change),
      lastRelayChange: (id, channel) => changes.get(`${id}#${channel}`),
    };
    const guard = new SafetyGuard({ clock, rateLimit: { ledger } });
    guard.holdRelay({ deviceId: 'p1', channel: 0, minOnOffMs: 60_000 });
    await expect(guard.write('p1', on(false), send(on(false)))).rejects.toThrow(
      'was switched on 10 s ago; its minimum on/off time is 60 s, try again in 50 s',
    );
    await clock.advance(50_000);
    expect((await guard.write('p1', on(false), send(on(false)))).status).toBe('written');
    expect(changes.get('p1#0')).toEqual({ on: false, at: clock.now() });
  });
});
