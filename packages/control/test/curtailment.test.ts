import { LoadCurtailment, type CurtailableRelay, type CurtailmentChange } from '@sps/control';
import { MemoryState } from './helpers/control-rig';

/** A relay in memory; `refuse` makes the next switch fail like a relay inside its hold. */
class MemoryRelay implements CurtailableRelay {
  on: boolean | undefined = true;
  refuse = false;
  constructor(
    readonly id: string,
    readonly powerW?: number,
  ) {}
  isOn(): boolean | undefined {
    return this.on;
  }
  switchOff(): Promise<void> {
    return this.set(false);
  }
  switchOn(): Promise<void> {
    return this.set(true);
  }
  private set(on: boolean): Promise<void> {
    if (this.refuse) return Promise.reject(new Error('on: inside its minimum on/off time'));
    this.on = on;
    return Promise.resolve();
  }
}

describe('LoadCurtailment', () => {
  test('largest known load first, unknown powers last, one per call; only relays that are on', async () => {
    const a = new MemoryRelay('a', 500);
    const b = new MemoryRelay('b');
    const c = new MemoryRelay('c', 2000);
    const d = new MemoryRelay('d', 800);
    d.on = false; // already off: not ours to touch
    const cut = new LoadCurtailment({ relays: [a, b, c, d] });
    expect(await cut.curtailOne('e1')).toBe('c');
    expect(await cut.curtailOne('e1')).toBe('a');
    expect(await cut.curtailOne('e1')).toBe('b');
    expect(await cut.curtailOne('e1')).toBeNull();
    expect(cut.status().switchedOff).toEqual(['c', 'a', 'b']);
    expect(await cut.restore()).toEqual(['c', 'a', 'b']);
    expect([a.on, b.on, c.on, d.on]).toEqual([true, true, true, false]);
  });

  test('a relay the user switched back on during the event is left alone, then and at the end', async () => {
    const a = new MemoryRelay('a', 900);
    const b = new MemoryRelay('b', 300);
    const changes: CurtailmentChange[] = [];
    const cut = new LoadCurtailment({ relays: [a, b], onChange: (c) => changes.push(c) });
    await cut.curtailOne('e1');
    a.on = true; // the user wants the heater
    cut.watch();
    expect(cut.status()).toMatchObject({ switchedOff: [], released: ['a'] });
    expect(await cut.curtailOne('e1')).toBe('b'); // not `a` again
    expect(await cut.curtailOne('e1')).toBeNull();
    a.on = false; // … and later switches it off himself: still not ours
    expect(await cut.restore()).toEqual(['b']);
    expect(a.on).toBe(false);
    expect(changes.map((c) => `${c.action} ${c.relay}`)).toEqual(['off a', 'released a', 'off b', 'on b']);
  });

  test('what was switched off survives a restart; a refused switch-on is kept for later', async () => {
    const state = new MemoryState();
    const a = new MemoryRelay('a', 900);
    const first = new LoadCurtailment({ relays: [a], state });
    await first.curtailOne('e1');
    // Restarted: a new instance on the same store knows `a` is ours.
    const second = new LoadCurtailment({ relays: [a], state });
    expect(second.pending).toBe(true);
    a.refuse = true;
    expect(await second.restore()).toEqual([]);
    expect(second.status()).toMatchObject({
      switchedOff: ['a'],
      lastError: expect.stringMatching(/switch on a: on: inside/),
    });
    a.refuse = false;
    expect(await second.restore()).toEqual(['a']);
    expect(a.on).toBe(true);
    expect(second.pending).toBe(false);
    expect(state.getState('demand_response', 'curtailment')).toBeNull();
  });

  test('a refused switch-off is not recorded (nothing to switch back on); a new event restores the old one first', async () => {
    const state = new MemoryState();
    const a = new MemoryRelay('a', 900);
    const b = new MemoryRelay('b', 100);
    const cut = new LoadCurtailment({ relays: [a, b], state });
    a.refuse = true;
    expect(await cut.curtailOne('e1')).toBeNull();
    expect(cut.status().switchedOff).toEqual([]);
    a.refuse = false;
    expect(await cut.curtailOne('e1')).toBe('a');
    // A second event while e1's relay is still off: e1's is switched back on before e2 starts its own.
    expect(await cut.curtailOne('e2')).toBe('a');
    expect(cut.status()).toMatchObject({ eventId: 'e2', switchedOff: ['a'] });
  });

  test('a corrupt persisted record is ignored, not thrown', () => {
    const state = new MemoryState();
    state.putState('demand_response', 'curtailment', { eventId: 7, switchedOff: 'x' });
    expect(new LoadCurtailment({ relays: [], state }).pending).toBe(false);
  });
});
