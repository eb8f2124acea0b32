import { ManualClock, isoUtc } from '@sps/core';
import { silentLogger } from '../src/logger';
import { OVERRIDES_KEY, OVERRIDES_NAMESPACE, TimedOverrides } from '../src/overrides';
import { MemoryStateStore } from '../src/state-store';

const MINUTE = 60_000;

function setup(options: { store?: MemoryStateStore; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock('2026-03-01T10:00:00Z');
  const store = options.store ?? new MemoryStateStore();
  const restored: { deviceId: string; at: number }[] = [];
  const leftForced: { deviceId: string; command: string }[] = [];
  const forced = new Set<string>();
  const overrides = new TimedOverrides({
    clock,
    store,
    logger: silentLogger(),
    // The hand-back's own retries and persistence are tested in hand-back.test.ts.
    handBack: {
      restore: async (deviceId) => {
        restored.push({ deviceId, at: clock.now() });
        return 'restored';
      },
      leftForced: (deviceId, command) => leftForced.push({ deviceId, command }),
      isForced: (deviceId) => forced.has(deviceId),
    },
  });
  return { clock, store, overrides, restored, leftForced, forced };
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

  it('does not re-apply an override after a restart: its device is handed back at once, due or not', async () => {
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
    first.overrides.stop(); // the add-on goes down (here without handing back: a crash)
    clock.set(clock.now() + 20 * MINUTE); // and comes back 20 minutes later

    const second = setup({ store, clock });
    second.forced.add('late'); // the hand-back's own record already has this one
    second.overrides.resume();
    expect(second.leftForced).toEqual([{ deviceId: 'soon', command: 'force_charge 3000 W' }]);
    expect(second.overrides.list().size).toBe(0);
    expect(stored(store)).toEqual({});
    await clock.advance(60 * MINUTE);
    expect(second.restored).toEqual([]); // nothing is re-applied, so nothing expires later either
    expect(first.restored).toEqual([]);
  });

  it("forgets a pending override when the shutdown's hand-back ends it after stop()", () => {
    const { clock, store, overrides } = setup();
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until: isoUtc(clock.now() + 30 * MINUTE) });
    overrides.stop();
    overrides.noteApplied('inv', { type: 'restore_normal' }); // the hand-back's write at shutdown
    expect(stored(store)).toEqual({});
    overrides.noteApplied('inv', { type: 'force_charge', power_w: 3000, until: isoUtc(clock.now() + MINUTE) });
    expect(stored(store)).toEqual({}); // nothing new is tracked once stopped
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
