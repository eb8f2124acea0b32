import { SafetyGuard } from '@sps/control';
import { CommandRejectedError, DeviceError, ManualClock } from '@sps/core';
import { DeviceManager, UnknownDeviceError } from '../src/device-manager';
import { MAX_BACKOFF_MS } from '../src/device-runner';
import { ReadingHub, type AvailabilityEvent, type ReadingsEvent } from '../src/hub';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { fakeDrivers } from './support/fake-device';

function setUp(deviceNames: string[], safety: Record<string, number> = {}) {
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  const { drivers, devices } = fakeDrivers(clock);
  const config = parseOptions({ devices: deviceNames.map((name) => ({ name, driver: 'fake' })), safety }, drivers);
  const hub = new ReadingHub();
  const readings: ReadingsEvent[] = [];
  const availability: AvailabilityEvent[] = [];
  hub.on('readings', (e) => readings.push(e));
  hub.on('availability', (e) => availability.push(e));
  const guard = new SafetyGuard({ limits: config.safety, clock });
  const manager = new DeviceManager(config.devices, { drivers, hub, guard, clock, logger: silentLogger() });
  const device = (id: string) => {
    const d = devices.get(id);
    if (!d) throw new Error(`no fake device ${id}`);
    return d;
  };
  return { clock, manager, hub, readings, availability, device };
}

describe('DeviceManager', () => {
  it('connects, polls at the device interval and publishes readings and availability', async () => {
    const { clock, manager, hub, readings, availability, device } = setUp(['Inverter']);
    manager.start();
    await clock.advance(0);
    expect(device('inverter').connects).toBe(1);
    expect(readings).toHaveLength(1);
    expect(hub.latest('inverter')?.values['battery_soc']).toBe(50);
    expect(availability.map((a) => a.availability.available)).toEqual([false, true]);
    expect(availability[0]?.availability.reason).toBe('connecting');

    await clock.advance(4999);
    expect(device('inverter').reads).toBe(1);
    await clock.advance(1);
    expect(device('inverter').reads).toBe(2);
    await clock.advance(10_000);
    expect(device('inverter').reads).toBe(4);
    expect(device('inverter').connects).toBe(1);
    await manager.stop();
  });

  it('backs off exponentially up to a minute, reports the reason, and recovers', async () => {
    const { clock, manager, device } = setUp(['Inverter']);
    const runner = manager.get('inverter');
    manager.start();
    await clock.advance(0);
    const fake = device('inverter');
    fake.failWith = new DeviceError('timeout', 'no answer within 3000 ms');
    await clock.advance(5000);
    expect(runner?.availability).toMatchObject({ available: false, reason: 'timeout: no answer within 3000 ms' });

    // After the first failure: 5 s, 10 s, 20 s, 40 s, then capped at 60 s.
    const attemptTimes: number[] = [];
    const start = clock.now();
    let connects = fake.connects;
    for (let t = 0; t < 200_000; t += 1000) {
      await clock.advance(1000);
      if (fake.connects !== connects) {
        connects = fake.connects;
        attemptTimes.push(clock.now() - start);
      }
    }
    const gaps = attemptTimes.map((t, i) => t - (attemptTimes[i - 1] ?? 0));
    expect(gaps.slice(0, 6)).toEqual([5000, 10_000, 20_000, 40_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);

    fake.failWith = undefined;
    await clock.advance(MAX_BACKOFF_MS);
    expect(runner?.availability.available).toBe(true);
    expect(runner?.availability.reason).toBeUndefined();
    await manager.stop();
  });

  it('keeps serving the other devices while one is down', async () => {
    const { clock, manager, device, hub } = setUp(['Inverter', 'Garage battery']);
    manager.start();
    await clock.advance(0);
    device('garage_battery').failWith = new DeviceError('connection_refused', 'connect ECONNREFUSED 127.0.0.1:1');
    device('inverter').soc = 61;
    await clock.advance(5000);
    expect(manager.get('garage_battery')?.availability).toMatchObject({
      available: false,
      reason: 'connection refused: connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(manager.get('inverter')?.availability.available).toBe(true);
    expect(hub.latest('inverter')?.values['battery_soc']).toBe(61);
    await expect(manager.execute('inverter', { type: 'force_charge', power_w: 1000 })).resolves.toMatchObject({
      writes: 1,
    });
    await expect(manager.execute('garage_battery', { type: 'restore_normal' })).rejects.toMatchObject({
      kind: 'not_connected',
    });
    await manager.stop();
  });

  it('routes commands through the safety guard and the write-rate limiter', async () => {
    const { clock, manager, device } = setUp(['Inverter'], { backup_reserve_pct: 20, max_charge_w: 3000 });
    manager.start();
    await clock.advance(0);
    await expect(manager.execute('inverter', { type: 'force_charge', power_w: 3500 })).rejects.toBeInstanceOf(
      CommandRejectedError,
    );
    await expect(manager.execute('inverter', { type: 'set_backup_reserve', percent: 5 })).rejects.toMatchObject({
      field: 'percent',
    });
    expect(device('inverter').executed).toEqual([]);

    await manager.execute('inverter', { type: 'force_charge', power_w: 3000 });
    const again = await manager.execute('inverter', { type: 'force_charge', power_w: 3000 });
    expect(again).toMatchObject({ writes: 0, skipped: 'duplicate' });
    expect(device('inverter').executed).toHaveLength(1);

    device('inverter').soc = 20;
    await clock.advance(5000);
    await expect(manager.execute('inverter', { type: 'force_discharge', power_w: 1000 })).rejects.toThrow(
      /backup reserve of 20 %/,
    );
    await expect(manager.execute('nope', { type: 'restore_normal' })).rejects.toBeInstanceOf(UnknownDeviceError);
    await manager.stop();
  });

  it('passes a device refusal back without marking the device unavailable', async () => {
    const { clock, manager, device } = setUp(['Inverter']);
    manager.start();
    await clock.advance(0);
    device('inverter').refuseWith = new DeviceError('rejected', 'Modbus exception 3 (illegal data value)');
    await expect(manager.execute('inverter', { type: 'restore_normal' })).rejects.toMatchObject({ kind: 'rejected' });
    expect(manager.get('inverter')?.availability.available).toBe(true);
    await manager.stop();
  });

  it('marks a device unavailable when a command finds it unreachable, then reconnects', async () => {
    const { clock, manager, device } = setUp(['Inverter']);
    manager.start();
    await clock.advance(0);
    device('inverter').failWith = new DeviceError('connection_lost', 'read ECONNRESET');
    await expect(manager.execute('inverter', { type: 'restore_normal' })).rejects.toMatchObject({
      kind: 'connection_lost',
    });
    expect(manager.get('inverter')?.availability.reason).toBe('connection lost: read ECONNRESET');
    device('inverter').failWith = undefined;
    await clock.advance(5000);
    expect(manager.get('inverter')?.availability.available).toBe(true);
    expect(device('inverter').connects).toBe(2);
    await manager.stop();
  });

  it('tells of every accepted command, the optimiser path and the hand-back included', async () => {
    const { clock, manager } = setUp(['Inverter']);
    const applied: string[] = [];
    manager.events.on('applied', ({ deviceId, command }) => applied.push(`${deviceId} ${command.type}`));
    manager.start();
    await clock.advance(0);
    await manager.execute('inverter', { type: 'force_charge', power_w: 1000 });
    await manager.get('inverter')?.executeChecked({ type: 'force_discharge', power_w: 500 });
    await manager.get('inverter')?.restoreNormal();
    expect(applied).toEqual(['inverter force_charge', 'inverter force_discharge', 'inverter restore_normal']);
    await manager.stop();
  });

  it('once quiesced for shutdown: no polls, nothing but the hand-back reaches a device, which reconnects for it', async () => {
    const { clock, manager, device } = setUp(['Inverter']);
    manager.start();
    await clock.advance(0);
    device('inverter').failWith = new DeviceError('connection_lost', 'read ECONNRESET');
    await expect(manager.execute('inverter', { type: 'restore_normal' })).rejects.toMatchObject({
      kind: 'connection_lost',
    });
    device('inverter').failWith = undefined;
    manager.quiesce();
    const reads = device('inverter').reads;
    await clock.advance(60_000);
    expect(device('inverter').reads).toBe(reads);
    const runner = manager.get('inverter');
    await expect(manager.execute('inverter', { type: 'force_charge', power_w: 1000 })).rejects.toThrow(/stopping/);
    await expect(runner?.executeChecked({ type: 'force_charge', power_w: 1000 })).rejects.toThrow(/stopping/);
    await expect(runner?.restoreNormal()).resolves.toMatchObject({ command: { type: 'restore_normal' } });
    expect(device('inverter').connects).toBe(2); // reconnected by the hand-back itself, not by a poll
    expect(device('inverter').executed.map((c) => c.type)).toEqual(['restore_normal']);
    await manager.stop();
  });

  it('stops polling and closes every device on stop', async () => {
    const { clock, manager, device } = setUp(['A', 'B']);
    manager.start();
    await clock.advance(0);
    await manager.stop();
    const reads = device('a').reads;
    await clock.advance(60_000);
    expect(device('a').reads).toBe(reads);
    expect(device('a').closes).toBeGreaterThanOrEqual(1);
    expect(device('b').closes).toBeGreaterThanOrEqual(1);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('DeviceRunner and a device that says it is back', () => {
  it('retries at once instead of waiting out the back-off, and only while waiting', async () => {
    const { clock, manager, device } = setUp(['Inverter']);
    const runner = manager.get('inverter');
    manager.start();
    await clock.advance(0);
    const fake = device('inverter');
    fake.failWith = new DeviceError('not_connected', 'no Home Assistant connection');
    // Five failures in a row: the next attempt is 60 s away.
    await clock.advance(5000 + 10_000 + 20_000 + 40_000 + 60_000);
    const connects = fake.connects;
    expect(runner?.availability.available).toBe(false);

    fake.failWith = undefined;
    fake.events.emit('availability', { available: true, since: clock.now() });
    await clock.advance(0);
    expect(fake.connects).toBe(connects + 1);
    expect(runner?.availability.available).toBe(true);

    // While connected the same news changes nothing: no extra connect, the cadence stays.
    const reads = fake.reads;
    fake.events.emit('availability', { available: true, since: clock.now() });
    await clock.advance(0);
    expect(fake.connects).toBe(connects + 1);
    expect(fake.reads).toBe(reads);
    await manager.stop();
  });
});
