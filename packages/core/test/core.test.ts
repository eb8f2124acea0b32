import {
  AvailabilityReporter,
  Command,
  COMMAND_TYPES,
  DeviceError,
  ManualClock,
  TypedEmitter,
  canonicalSensor,
  parseDeviceCommand,
  toDeviceError,
  type Availability,
  type DeviceEvents,
} from '@sps/core';

describe('Command schema', () => {
  it('accepts every documented command', () => {
    const ok = [
      { type: 'force_charge', power_w: 3000, until: '2026-01-01T10:00:00Z' },
      { type: 'force_discharge', power_w: 2500 },
      { type: 'restore_normal' },
      { type: 'set_backup_reserve', percent: 20 },
      { type: 'set_charge_limit', power_w: 5000 },
      { type: 'set_discharge_limit', power_w: 5000 },
      { type: 'set_export_limit', power_w: 0 },
      { type: 'set_relay', on: true },
      { type: 'set_operating_mode', mode: 'self_consumption' },
      { type: 'device_command', name: 'set_ac_input_current_limit', amps: 16 },
    ];
    for (const c of ok) expect(Command.parse(c)).toEqual(c);
    expect(COMMAND_TYPES).toHaveLength(ok.length);
  });

  it('names the offending field', () => {
    const r = Command.safeParse({ type: 'force_charge', power_w: -5 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['power_w']);
    const extra = Command.safeParse({ type: 'restore_normal', power_w: 1 });
    expect(extra.success).toBe(false);
    const tz = Command.safeParse({ type: 'force_charge', power_w: 1, until: '2026-01-01T10:00:00+02:00' });
    expect(tz.success).toBe(false);
  });

  it("a driver's own command is an envelope of scalars with a well-formed name", () => {
    expect(Command.safeParse({ type: 'device_command', name: 'Set Limit', amps: 1 }).error?.issues[0]?.path).toEqual([
      'name',
    ]);
    expect(Command.safeParse({ type: 'device_command', name: 'x', amps: { deep: 1 } }).error?.issues[0]?.path).toEqual([
      'amps',
    ]);
    expect(Command.safeParse({ type: 'device_command', amps: 1 }).success).toBe(false);
  });
});

describe('ManualClock', () => {
  it('fires timers in order only when advanced', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 2000);
    clock.setTimeout(() => fired.push('a'), 1000);
    const every = clock.setInterval(() => fired.push('i'), 1500);
    await clock.advance(999);
    expect(fired).toEqual([]);
    await clock.advance(3000);
    expect(fired).toEqual(['a', 'i', 'b', 'i']);
    every.cancel();
    await clock.advance(10_000);
    expect(fired).toHaveLength(4);
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:13.999Z'));
  });
});

describe('TypedEmitter', () => {
  it('isolates a throwing listener', () => {
    const errors: unknown[] = [];
    const em = new TypedEmitter<{ x: number }>((e) => errors.push(e));
    const seen: number[] = [];
    em.on('x', () => {
      throw new Error('boom');
    });
    const off = em.on('x', (v) => seen.push(v));
    em.emit('x', 1);
    off();
    em.emit('x', 2);
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(2);
  });
});

describe('errors', () => {
  it('maps socket errors to kinds with a readable reason', () => {
    const refused = toDeviceError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1502'), { code: 'ECONNREFUSED' }),
    );
    expect(refused.kind).toBe('connection_refused');
    expect(refused.reason).toBe('connection refused: connect ECONNREFUSED 127.0.0.1:1502');
    const same = new DeviceError('timeout', 'no answer');
    expect(toDeviceError(same)).toBe(same);
  });
});

describe('canonicalSensor', () => {
  it('carries units and classes from the catalogue', () => {
    expect(canonicalSensor('grid_import_energy')).toMatchObject({
      platform: 'sensor',
      unit: 'Wh',
      deviceClass: 'energy',
      stateClass: 'total_increasing',
    });
    expect(canonicalSensor('battery_soc', { name: 'SOC' }).name).toBe('SOC');
  });
});

describe('adapter helpers', () => {
  it('parseDeviceCommand returns the command or a rejected DeviceError naming the field', () => {
    expect(parseDeviceCommand({ type: 'set_relay', on: true })).toEqual({ type: 'set_relay', on: true });
    expect(() => parseDeviceCommand({ type: 'force_charge', power_w: -1 })).toThrow(
      expect.objectContaining({ kind: 'rejected', message: expect.stringMatching(/^power_w: /) }),
    );
  });

  it('AvailabilityReporter reports a failed connect always, a refused request never', () => {
    const events = new TypedEmitter<DeviceEvents>();
    const seen: Availability[] = [];
    events.on('availability', (a) => seen.push(a));
    const reporter = new AvailabilityReporter(events, new ManualClock(0));
    reporter.report(true);
    expect(reporter.requestFailed(new DeviceError('rejected', 'no')).kind).toBe('rejected');
    expect(reporter.available).toBe(true);
    reporter.requestFailed(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
    expect(seen.at(-1)).toMatchObject({ available: false, reason: 'timeout: timed out' });
    reporter.report(true);
    reporter.connectFailed(new DeviceError('unsupported', 'encrypted link'));
    expect(seen.at(-1)).toMatchObject({ available: false, reason: 'unsupported: encrypted link' });
  });
});
