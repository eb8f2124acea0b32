import fc from 'fast-check';
import { VirtualCanBus, type CanBus } from '@sps/can';
import { DeviceError, ManualClock, type Availability } from '@sps/core';
import { PylontechAdapter, PylontechSimulator, BMS_FLAGS } from '@sps/device-pylontech';
import { advanceUntil, track } from './helpers';

/**
 * The adapter on a virtual bus (the transport stubbed, as unit tests may): the timing rules on a
 * ManualClock. The same behaviour over a real socketcand connection is in adapter.test.ts.
 */
function rig(options: { keepAlive?: boolean; simulator?: boolean } = {}) {
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  const bus = new VirtualCanBus({ clock });
  const sim = options.simulator === false ? null : new PylontechSimulator({ bus, clock, modules: 2, socPct: 60 });
  const endpoints: CanBus[] = [];
  const adapter = new PylontechAdapter({
    id: 'bms',
    connection: { transport: 'socketcand', host: '127.0.0.1', keep_alive: options.keepAlive ?? false },
    clock,
    openBus: () => {
      const endpoint = bus.attach('virtual can0');
      endpoints.push(endpoint);
      return endpoint;
    },
  });
  const availability: Availability[] = [];
  adapter.events.on('availability', (a) => availability.push(a));
  return { clock, bus, sim, adapter, availability, endpoints };
}

async function connected(r: ReturnType<typeof rig>): Promise<void> {
  await r.sim?.start();
  const connecting = track(r.adapter.connect());
  await advanceUntil(r.clock, connecting.done);
  await connecting.result;
}

describe('PylontechAdapter on a virtual bus', () => {
  it('waits for a whole burst, then reads the simulator in project units and signs', async () => {
    const r = rig();
    await connected(r);
    r.sim?.setCurrent(40); // the house draws 40 A
    await r.clock.advance(2000);
    const { values } = await r.adapter.read();
    expect(values).toMatchObject({
      manufacturer: 'PYLON',
      module_count: 2,
      charge_voltage_limit: 53.2,
      charge_current_limit: 200,
      discharge_current_limit: 200,
      charge_enabled: true,
      discharge_enabled: true,
      battery_soh: 99,
    });
    expect(values.battery_current).toBe(40);
    expect(values.battery_power as number).toBeCloseTo((values.battery_voltage as number) * 40, 0);
    expect(values.battery_power as number).toBeGreaterThan(0); // discharging is positive
    for (const flag of BMS_FLAGS) expect(typeof values[flag] === 'boolean' || values[flag] === null).toBe(true);
    expect(r.adapter.describe().info).toMatchObject({ manufacturer: 'Pylontech' });
    expect(r.adapter.describe().capabilities.commands).toEqual([]);
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('charging reads as negative current and power; SOC rises', async () => {
    const r = rig();
    await connected(r);
    r.sim?.setCurrent(-50);
    await r.clock.advance(2000);
    const first = (await r.adapter.read()).values;
    await r.clock.advance(600_000);
    const later = (await r.adapter.read()).values;
    expect(first.battery_current).toBe(-50);
    expect(first.battery_power as number).toBeLessThan(0);
    expect(later.battery_soc as number).toBeGreaterThan(first.battery_soc as number);
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('connect fails after 3 s with a reason naming the missing frames when the bus is silent', async () => {
    const r = rig({ simulator: false });
    const connecting = track(r.adapter.connect());
    await advanceUntil(r.clock, connecting.done);
    await expect(connecting.result).rejects.toThrow(
      /no 0x351 \(limits\) or 0x356 \(voltage\/current\) frame within 3000 ms/,
    );
    expect(r.availability.at(-1)).toMatchObject({ available: false, reason: expect.stringMatching(/^timeout: /) });
  });

  it('goes unavailable 3 s into a silence, with the reason, and comes back with the frames', async () => {
    const r = rig();
    await connected(r);
    expect(r.availability.at(-1)?.available).toBe(true);
    r.sim?.silence();
    const silentAt = r.clock.now();
    await advanceUntil(r.clock, () => r.availability.at(-1)?.available === false, { stepMs: 100 });
    // The last burst came at most one period before the silence began, so 3 s after it is within 2–3 s.
    expect(r.clock.now() - silentAt).toBeGreaterThanOrEqual(2000);
    expect(r.clock.now() - silentAt).toBeLessThanOrEqual(3100);
    expect(r.availability.at(-1)?.reason).toMatch(/^timeout: no 0x351 \(limits\) frame for 3\.\d s on virtual can0/);
    await expect(r.adapter.read()).rejects.toThrow(DeviceError);
    r.sim?.resume();
    await advanceUntil(r.clock, () => r.availability.at(-1)?.available === true);
    await expect(r.adapter.read()).resolves.toMatchObject({ values: { manufacturer: 'PYLON' } });
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('an alarm raised on the BMS reads true, and false once cleared', async () => {
    const r = rig();
    await connected(r);
    r.sim?.raiseAlarm('alarm_high_temperature');
    r.sim?.raiseAlarm('protection_cell_overvoltage');
    await r.clock.advance(1000);
    let values = (await r.adapter.read()).values;
    expect(values.alarm_high_temperature).toBe(true);
    expect(values.protection_cell_overvoltage).toBe(true);
    expect(values.charge_current_limit).toBe(0); // the protection stops charging
    expect(values.alarm_internal_communication).toBe(false);
    r.sim?.clearAlarm('alarm_high_temperature');
    await r.clock.advance(1000);
    values = (await r.adapter.read()).values;
    expect(values.alarm_high_temperature).toBe(false);
    expect(values.protection_cell_overvoltage).toBe(true);
    expect(() => r.sim?.raiseAlarm('alarm_nonsense')).toThrow(/unknown alarm/);
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('sends the 0x305 keep-alive every second only when keep_alive is on', async () => {
    for (const keepAlive of [false, true]) {
      const r = rig({ keepAlive });
      await connected(r);
      const before = r.sim?.state.keepAlivesSeen ?? 0;
      await r.clock.advance(5000);
      const sent = (r.sim?.state.keepAlivesSeen ?? 0) - before;
      if (keepAlive) expect(sent).toBe(5);
      else expect(sent).toBe(0);
      await r.adapter.close();
      await r.sim?.stop();
    }
  });

  it('counts a malformed BMS frame without letting it change a reading', async () => {
    const r = rig();
    await connected(r);
    const before = (await r.adapter.read()).values.battery_soc;
    r.bus.inject({ id: 0x355, extended: false, data: Uint8Array.from([0xff, 0x00, 0x64, 0x00]) });
    r.bus.inject({ id: 0x356, extended: false, data: Uint8Array.from([1, 2, 3]) });
    await r.clock.advance(1);
    expect((await r.adapter.read()).values.battery_soc).toBe(before);
    expect(r.adapter.frameStats).toMatchObject({ rejected: 2, lastRejection: expect.stringContaining('0x356: DLC 3') });
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('random frames between the bursts never break it: readings stay finite and in range', async () => {
    const r = rig();
    await connected(r);
    const ids = [0x305, 0x351, 0x355, 0x356, 0x359, 0x35a, 0x35c, 0x35e, 0x35f, 0x370, 0x7ff];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.constantFrom(...ids),
            extended: fc.boolean(),
            data: fc.uint8Array({ minLength: 0, maxLength: 8 }),
          }),
          { maxLength: 20 },
        ),
        async (frames) => {
          for (const frame of frames) r.bus.inject(frame);
          await r.clock.advance(1000); // and a real burst
          const { values } = await r.adapter.read();
          for (const value of Object.values(values)) {
            if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
          }
          expect(values.battery_soc as number).toBeGreaterThanOrEqual(0);
          expect(values.battery_soc as number).toBeLessThanOrEqual(100);
        },
      ),
      { numRuns: 200 },
    );
    await r.adapter.close();
    await r.sim?.stop();
  });

  it('refuses every command and a bad connection block names the field', async () => {
    const r = rig();
    await expect(r.adapter.execute({ type: 'restore_normal' })).rejects.toMatchObject({ kind: 'unsupported' });
    expect(() => new PylontechAdapter({ id: 'x', connection: { transport: 'socketcand' } })).toThrow(/host/);
    expect(
      () => new PylontechAdapter({ id: 'x', connection: { transport: 'candump', file: '/x', keep_alive: 'maybe' } }),
    ).toThrow(/keep_alive/);
  });

  it('close() while connecting ends the attempt at once and leaves no timer behind', async () => {
    const r = rig({ simulator: false, keepAlive: true });
    const connecting = track(r.adapter.connect());
    await r.clock.advance(500);
    await r.adapter.close();
    await expect(connecting.result).rejects.toMatchObject({ kind: 'not_connected' });
    expect(r.clock.pendingTimers).toBe(0);
    expect(r.endpoints.every((e) => !e.isOpen)).toBe(true);
  });

  it('a lost link makes it unavailable at once; connect() again recovers', async () => {
    const r = rig();
    await connected(r);
    r.bus.bringDown('bus-off');
    await r.clock.advance(1);
    expect(r.availability.at(-1)).toMatchObject({ available: false, reason: expect.stringContaining('bus-off') });
    await expect(r.adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    await r.sim?.stop();
    await connected(r);
    await expect(r.adapter.read()).resolves.toBeDefined();
    await r.adapter.close();
    await r.sim?.stop();
  });
});
