import { WriteRateLimitedError } from '@sps/control';
import { DeviceError, ManualClock, isoUtc } from '@sps/core';
import { silentLogger } from '../src/logger';
import { OVERRIDES_KEY, OVERRIDES_NAMESPACE, TimedOverrides } from '../src/overrides';
import { MemoryStateStore } from '../src/state-store';

const MINUTE = 60_000;

function setup(options: { failWith?: () => unknown; store?: MemoryStateStore; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock('2026-03-01T10:00:00Z');
  const store = options.store ?? new MemoryStateStore();
  const restored: { deviceId: string; at: number }[] = [];
  let failure = options.failWith;
  const overrides = new TimedOverrides({
    clock,
    store,
    logger: silentLogger(),
    retryMs: 5000,
    restoreNormal: async (deviceId) => {
      const err = failure?.();
      if (err) throw err;
      restored.push({ deviceId, at: clock.now() });
      // What the device manager does after a successful command.
      overrides.noteApplied(deviceId, { type: 'restore_normal' });
    },
  });
  return {
    clock,
    store,
    overrides,
    restored,
    setFailure: (f: (() => unknown) | undefined) => (failure = f),
  };
}

const stored = (store: MemoryStateStore) => store.getState(OVERRIDES_NAMESPACE, OVERRIDES_KEY);

describe('TimedOverrides', () => {
  it('restores normal operation exactly at `until` and forgets the override', async () => {
    const { clock, store, overrides, restored } = setup();
    const until = isoUtc(clock.now() + 30 * MINUTE);
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until });
    expect(stored(store)).toEqual({
      inv: { command: 'force_charge', power_w: 3000, until, set_at: '2026-03-01T10:00:00.000Z' },
    });
    await clock.advance(30 * MINUTE - 1);
    expect(restored).toEqual([]);
    await clock.advance(1);
    expect(restored).toEqual([{ deviceId: 'inv', at: Date.parse(until) }]);
    expect(overrides.list().size).toBe(0);
    expect(stored(store)).toEqual({});
  });

  it('a newer timed force replaces the older one; restore_normal or a mode change cancels it', async () => {
    const { clock, overrides, restored } = setup();
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until: isoUtc(clock.now() + 10 * MINUTE) });
    overrides.noteApplied('inv', { type: 'force_discharge', power_w: 2000, until: isoUtc(clock.now() + 20 * MINUTE) });
    await clock.advance(15 * MINUTE);
    expect(restored).toEqual([]);
    await clock.advance(5 * MINUTE);
    expect(restored).toHaveLength(1);

    overrides.noteApplied('inv', { type: 'force_charge', power_w: 1000, until: isoUtc(clock.now() + MINUTE) });
    overrides.noteApplied('inv', { type: 'restore_normal' });
    overrides.noteApplied('b', { type: 'force_charge', power_w: 1000, until: isoUtc(clock.now() + MINUTE) });
    overrides.noteApplied('b', { type: 'set_operating_mode', mode: 'self_consumption' });
    overrides.noteApplied('c', { type: 'force_charge', power_w: 1000, until: isoUtc(clock.now() + MINUTE) });
    overrides.noteApplied('c', { type: 'force_charge', power_w: 1000 }); // open-ended: no end to enforce
    await clock.advance(2 * MINUTE);
    expect(restored).toHaveLength(1);
  });

  it('keeps the override when other settings change', async () => {
    const { clock, overrides, restored } = setup();
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until: isoUtc(clock.now() + MINUTE) });
    overrides.noteApplied('inv', { type: 'set_backup_reserve', percent: 20 });
    await clock.advance(MINUTE);
    expect(restored).toHaveLength(1);
  });

  it('survives an add-on restart: pending ones resume, expired ones are ended at once', async () => {
    const store = new MemoryStateStore();
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const first = setup({ store, clock });
    first.overrides.noteApplied('soon', {
      type: 'force_charge',
      power_w: 3000,
      until: isoUtc(clock.now() + 5 * MINUTE),
    });
    first.overrides.noteApplied('late', {
      type: 'force_discharge',
      power_w: 1000,
      until: isoUtc(clock.now() + 60 * MINUTE),
    });
    first.overrides.stop(); // the add-on goes down
    clock.set(clock.now() + 20 * MINUTE); // and comes back 20 minutes later

    const second = setup({ store, clock });
    second.overrides.resume();
    await clock.advance(0);
    expect(second.restored.map((r) => r.deviceId)).toEqual(['soon']);
    await clock.advance(40 * MINUTE);
    expect(second.restored.map((r) => r.deviceId)).toEqual(['soon', 'late']);
    expect(first.restored).toEqual([]);
    expect(stored(store)).toEqual({});
  });

  it('retries a restore the device could not take, and at once when the device is back', async () => {
    const { clock, overrides, restored, setFailure } = setup({
      failWith: () => new DeviceError('not_connected', 'connecting'),
    });
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until: isoUtc(clock.now() + MINUTE) });
    await clock.advance(MINUTE);
    expect(restored).toEqual([]);
    expect(overrides.list().has('inv')).toBe(true);
    await clock.advance(5000); // retried, still failing
    expect(restored).toEqual([]);
    setFailure(undefined);
    await clock.advance(1000);
    overrides.deviceAvailable('inv');
    await clock.advance(0);
    expect(restored).toEqual([{ deviceId: 'inv', at: clock.now() }]);
  });

  it('waits for the write-rate limit and gives up on a refusal', async () => {
    const limited = setup({ failWith: () => new WriteRateLimitedError('write rate limit', 20_000) });
    limited.overrides.noteApplied('inv', {
      type: 'force_charge',
      power_w: 1,
      until: isoUtc(limited.clock.now() + 1000),
    });
    await limited.clock.advance(1000);
    limited.setFailure(undefined);
    await limited.clock.advance(19_999);
    expect(limited.restored).toEqual([]);
    await limited.clock.advance(1);
    expect(limited.restored).toHaveLength(1);

    const refused = setup({ failWith: () => new DeviceError('unsupported', 'no such mode') });
    refused.overrides.noteApplied('inv', {
      type: 'force_charge',
      power_w: 1,
      until: isoUtc(refused.clock.now() + 1000),
    });
    await refused.clock.advance(1000);
    expect(refused.overrides.list().size).toBe(0);
    expect(refused.clock.pendingTimers).toBe(0);
  });

  it('ignores an unreadable stored document instead of crashing', () => {
    const store = new MemoryStateStore();
    store.putState(OVERRIDES_NAMESPACE, OVERRIDES_KEY, { inv: { command: 'force_charge', until: 'tomorrow' } });
    const { overrides, clock } = setup({ store });
    expect(() => overrides.resume()).not.toThrow();
    expect(overrides.list().size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
