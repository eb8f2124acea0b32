import { ManualClock } from '@sps/core';
import { StateCoalescer, type HaStateUpdate } from '../src/index.js';

function setup(online = true) {
  const clock = new ManualClock();
  const batches: HaStateUpdate[][] = [];
  const sink = { online, sendStates: (b: HaStateUpdate[]) => (sink.online ? (batches.push(b), true) : false) };
  const coalescer = new StateCoalescer(clock, sink, 1000, 3);
  return { clock, batches, sink, coalescer };
}

describe('StateCoalescer', () => {
  it('writes a measurement at most once per second, always with its newest value', async () => {
    const { clock, batches, coalescer } = setup();
    coalescer.offer('inv', 'pv_power', 100, true);
    await clock.advance(0);
    expect(batches).toEqual([[{ device_id: 'inv', key: 'pv_power', state: 100 }]]);
    for (const [t, v] of [
      [200, 110],
      [300, 120],
      [400, 130],
    ] as const) {
      await clock.advance(t - (clock.now() - Date.UTC(2026, 0, 1)));
      coalescer.offer('inv', 'pv_power', v, true);
    }
    await clock.advance(500);
    expect(batches).toHaveLength(1);
    await clock.advance(100);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual([{ device_id: 'inv', key: 'pv_power', state: 130 }]);
  });

  it('sends control states at once, batched within the same tick', async () => {
    const { clock, batches, coalescer } = setup();
    coalescer.offer('inv', 'pv_power', 100, true);
    await clock.advance(0);
    coalescer.offer('inv', 'backup_relay', true, false);
    coalescer.offer('inv', 'operating_mode', 'force_charge', false);
    await clock.advance(0);
    expect(batches[1]).toEqual([
      { device_id: 'inv', key: 'backup_relay', state: true },
      { device_id: 'inv', key: 'operating_mode', state: 'force_charge' },
    ]);
    coalescer.offer('inv', 'backup_relay', false, false);
    await clock.advance(0);
    expect(batches[2]).toEqual([{ device_id: 'inv', key: 'backup_relay', state: false }]);
  });

  it('does not resend an unchanged value, but replays everything after a reconnect', async () => {
    const { clock, batches, coalescer } = setup();
    coalescer.offer('inv', 'battery_soc', 50, true);
    await clock.advance(2000);
    coalescer.offer('inv', 'battery_soc', 50, true);
    await clock.advance(2000);
    expect(batches).toHaveLength(1);
    coalescer.replayAll();
    await clock.advance(0);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual([{ device_id: 'inv', key: 'battery_soc', state: 50 }]);
  });

  it('keeps the newest value while offline and sends it when flushed', async () => {
    const { clock, batches, sink, coalescer } = setup(false);
    coalescer.offer('inv', 'battery_soc', 50, true);
    coalescer.offer('inv', 'battery_soc', 51, true);
    await clock.advance(5000);
    expect(batches).toHaveLength(0);
    expect(coalescer.pendingCount).toBe(1);
    sink.online = true;
    coalescer.flush();
    expect(batches).toEqual([[{ device_id: 'inv', key: 'battery_soc', state: 51 }]]);
    expect(coalescer.pendingCount).toBe(0);
  });

  it('splits large batches and forgets removed devices', async () => {
    const { clock, batches, coalescer } = setup();
    for (let i = 0; i < 7; i++) coalescer.offer('inv', `k${i}`, i, false);
    coalescer.offer('gone', 'k', 1, false);
    coalescer.forgetDevice('gone');
    await clock.advance(0);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().some((u) => u.device_id === 'gone')).toBe(false);
  });
});
