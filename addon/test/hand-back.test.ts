import { RelayHoldError, WriteRateLimitedError } from '@sps/control';
import { CommandRejectedError, DeviceError, ManualClock, type CommandOutcome } from '@sps/core';
import { DeviceHandBack, HAND_BACK_KEY, HAND_BACK_NAMESPACE, type HandBackOutcome } from '../src/hand-back';
import { silentLogger } from '../src/logger';
import { ProblemBoard } from '../src/problems';
import { MemoryStateStore } from '../src/state-store';

const OK: CommandOutcome = { command: { type: 'restore_normal' }, applied: {}, writes: 2 };

/** A device whose restore answers are scripted: each attempt takes the next answer (the last one repeats). */
function setup(options: { store?: MemoryStateStore; answers?: (() => unknown)[]; known?: string[] } = {}) {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const store = options.store ?? new MemoryStateStore();
  const problems = new ProblemBoard(clock, silentLogger());
  const answers = options.answers ?? [() => undefined];
  const attempts: { deviceId: string; at: number }[] = [];
  let hang = false;
  const handBack: DeviceHandBack = new DeviceHandBack({
    clock,
    store,
    logger: silentLogger(),
    problems,
    firstRetryMs: 1000,
    maxRetryMs: 8000,
    isKnown: (id) => (options.known ?? ['inv', 'b']).includes(id),
    deviceName: (id) => `Device ${id}`,
    restoreNormal: (deviceId) => {
      attempts.push({ deviceId, at: clock.now() });
      if (hang) return new Promise<CommandOutcome>(() => undefined);
      const answer = answers[Math.min(attempts.length - 1, answers.length - 1)] as () => unknown;
      const err = answer();
      if (err) return Promise.reject(err);
      // What the device manager does after a successful command.
      handBack.noteApplied(deviceId, { type: 'restore_normal' });
      return Promise.resolve(OK);
    },
  });
  return { clock, store, problems, handBack, attempts, setHang: (h: boolean) => (hang = h) };
}

/** Let every pending promise chain run (deeper than ManualClock's own microtask flush). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Advance the clock with the device's promise chains settled before and after. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  await settle();
  await clock.advance(ms);
  await settle();
}

const busy = () => new DeviceError('busy', 'Modbus exception 6 (server device busy)');
const stored = (store: MemoryStateStore) => store.getState(HAND_BACK_NAMESPACE, HAND_BACK_KEY);

describe('DeviceHandBack', () => {
  it('keeps a durable list of the devices the add-on left forced, from every accepted command', () => {
    const { handBack, store } = setup();
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 3000 });
    handBack.noteApplied('b', { type: 'set_operating_mode', mode: 'hold' });
    handBack.noteApplied('inv', { type: 'set_backup_reserve', percent: 20 }); // not a mode change
    expect(stored(store)).toEqual({
      inv: { command: 'force_charge 3000 W', since: '2026-03-01T10:00:00.000Z' },
      b: { command: 'set_operating_mode hold', since: '2026-03-01T10:00:00.000Z' },
    });
    handBack.noteApplied('inv', { type: 'restore_normal' });
    handBack.noteApplied('b', { type: 'set_operating_mode', mode: 'self_consumption' });
    expect(stored(store)).toEqual({});
    expect(handBack.list().size).toBe(0);
  });

  it('retries transient failures (busy, timeout, not connected) with back-off until the device is back', async () => {
    const { clock, handBack, attempts } = setup({
      answers: [
        busy,
        () => new DeviceError('timeout', 'no answer within 3000 ms'),
        () => new DeviceError('not_connected', 'connecting'),
        () => undefined,
      ],
    });
    handBack.noteApplied('inv', { type: 'force_discharge', power_w: 2000 });
    let outcome: HandBackOutcome | undefined;
    void handBack.restore('inv', 'test').then((o) => (outcome = o));
    await advance(clock, 0);
    await advance(clock, 1000);
    await advance(clock, 2000);
    expect(outcome).toBeUndefined();
    await advance(clock, 4000);
    expect(outcome).toBe('restored');
    expect(attempts.map((a) => a.at - attempts[0]!.at)).toEqual([0, 1000, 3000, 7000]);
    expect(handBack.isForced('inv')).toBe(false);
  });

  it('tries again at once when the device becomes available, not after the back-off', async () => {
    const { clock, handBack, attempts } = setup({ answers: [busy, busy, busy, () => undefined] });
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
    const done = handBack.restore('inv', 'test');
    await advance(clock, 1000 + 2000 + 10); // two retries; the next one is 4 s away
    expect(attempts).toHaveLength(3);
    handBack.deviceAvailable('inv');
    await advance(clock, 0);
    await expect(done).resolves.toBe('restored');
    expect(attempts).toHaveLength(4);
  });

  it('gives up only on a permanent refusal, raising restore_failed; a later restore clears it', async () => {
    const refusals = [
      () => new DeviceError('rejected', 'Modbus exception 3 (illegal data value)'),
      () => new DeviceError('unsupported', 'no such mode'),
      () => new CommandRejectedError('mode: not allowed'),
    ];
    for (const refusal of refusals) {
      const { clock, handBack, problems, attempts } = setup({ answers: [busy, refusal] });
      handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
      const done = handBack.restore('inv', 'test');
      await advance(clock, 1000);
      await expect(done).resolves.toBe('refused');
      expect(attempts).toHaveLength(2);
      await advance(clock, 60_000);
      expect(attempts).toHaveLength(2); // no hammering after a refusal
      const problem = problems.list().find((p) => p.id === 'restore_failed:inv');
      expect(problem).toMatchObject({
        severity: 'error',
        repair: { key: 'restore_failed', placeholders: { device: 'Device inv' } },
      });
      expect(problem?.repair?.placeholders['reason']).toMatch(/illegal data value|no such mode|not allowed/);
      expect(handBack.isForced('inv')).toBe(true); // still forced, and still recorded for the next start
      handBack.noteApplied('inv', { type: 'restore_normal' }); // e.g. the user's own restore worked later
      expect(problems.list()).toEqual([]);
    }
  });

  it('a relay hold or a spent write budget is waited out, never taken for a refusal', async () => {
    const { clock, handBack, problems, attempts } = setup({
      answers: [
        () => new RelayHoldError('on: relay p1 channel 0 was switched on 15 s ago; try again in 45 s', 45_000),
        () => new WriteRateLimitedError('write rate limit: retry in 20 s', 20_000),
        () => undefined,
      ],
    });
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
    const done = handBack.restore('inv', 'test');
    await advance(clock, 1000);
    await advance(clock, 2000);
    await expect(done).resolves.not.toBe('refused');
    expect(attempts).toHaveLength(3);
    expect(problems.list()).toEqual([]);
    expect(handBack.isForced('inv')).toBe(false);
  });

  it('a newer force takes over from a restore that is still retrying', async () => {
    const { clock, handBack, attempts } = setup({ answers: [busy] });
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
    const done = handBack.restore('inv', 'test');
    await advance(clock, 0);
    handBack.noteApplied('inv', { type: 'force_discharge', power_w: 500 });
    await expect(done).resolves.toBe('cancelled');
    await advance(clock, 60_000);
    expect(attempts).toHaveLength(1);
    expect(handBack.list().get('inv')?.command).toBe('force_discharge 500 W');
  });

  it('the optimiser waits for the first attempt only; a failed hand-back keeps going in the background', async () => {
    const { clock, handBack, attempts } = setup({ answers: [busy, () => undefined] });
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
    await expect(handBack.requestRestore('inv', 'optimiser')).rejects.toMatchObject({ kind: 'busy' });
    await advance(clock, 1000);
    expect(attempts).toHaveLength(2);
    expect(handBack.isForced('inv')).toBe(false);
  });

  it('at the next start hands back what the last run left forced, with device_left_forced meanwhile', async () => {
    const store = new MemoryStateStore();
    const first = setup({ store, answers: [() => new DeviceError('timeout', 'no answer')] });
    first.handBack.noteApplied('inv', { type: 'force_charge', power_w: 2700 });
    first.handBack.noteApplied('gone', { type: 'force_charge', power_w: 100 });
    first.setHang(true);
    const outcomes = first.handBack.handBackAll(5000);
    await advance(first.clock, 5000);
    await expect(outcomes).resolves.toEqual(
      new Map([
        ['inv', 'out_of_time'],
        ['gone', 'out_of_time'],
      ]),
    );
    first.handBack.stop();
    expect(Object.keys(stored(store) as object)).toEqual(['inv', 'gone']);

    const second = setup({ store, answers: [busy, () => undefined] });
    second.handBack.resume();
    await advance(second.clock, 0);
    // The device that is no longer configured is forgotten; the other one is handed back.
    expect(second.problems.list()).toMatchObject([
      { id: 'device_left_forced:inv', repair: { key: 'device_left_forced', placeholders: { device: 'Device inv' } } },
    ]);
    await advance(second.clock, 1000);
    expect(second.attempts.map((a) => a.deviceId)).toEqual(['inv', 'inv']);
    expect(second.problems.list()).toEqual([]);
    expect(stored(store)).toEqual({});
  });

  it('a force by this run clears what an earlier run left behind', async () => {
    const store = new MemoryStateStore();
    store.putState(HAND_BACK_NAMESPACE, HAND_BACK_KEY, {
      inv: { command: 'force_charge 2700 W', since: '2026-03-01T09:00:00.000Z' },
    });
    const { handBack, problems, clock } = setup({ store, answers: [busy] });
    handBack.resume();
    await advance(clock, 0);
    expect(problems.list().map((p) => p.id)).toEqual(['device_left_forced:inv']);
    handBack.noteApplied('inv', { type: 'force_discharge', power_w: 1000 }); // e.g. the optimiser, on purpose
    expect(problems.list()).toEqual([]);
    expect(handBack.list().get('inv')).toEqual({
      command: 'force_discharge 1000 W',
      since: '2026-03-01T09:00:00.000Z',
    });
  });

  it('shutdown hands every forced device back in parallel and never waits past its budget', async () => {
    const { clock, handBack, attempts } = setup({ answers: [busy, busy, () => undefined] });
    handBack.noteApplied('inv', { type: 'force_charge', power_w: 1000 });
    handBack.noteApplied('b', { type: 'force_discharge', power_w: 1000 });
    const outcomes = handBack.handBackAll(3000);
    await advance(clock, 0);
    expect(attempts.map((a) => a.deviceId)).toEqual(['inv', 'b']); // both at once
    await advance(clock, 500); // a deadline shortens the back-off
    await expect(outcomes).resolves.toEqual(
      new Map([
        ['inv', 'restored'],
        ['b', 'restored'],
      ]),
    );
    expect(clock.now() - Date.parse('2026-03-01T10:00:00Z')).toBeLessThanOrEqual(3000);
  });
});
