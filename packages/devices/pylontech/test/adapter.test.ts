import { ManualClock, type Availability } from '@sps/core';
import { PylontechAdapter, startPylontechSimulator, type PylontechLoopback } from '@sps/device-pylontech';
import { eventually, track } from './helpers';

/**
 * The production adapter over a real socketcand TCP connection on loopback to the simulator behind
 * SocketcandServer (both from @sps/can). Simulated time moves only after the frames of the last
 * burst have arrived over the socket, so no assertion depends on how fast the machine is.
 */
interface Rig {
  readonly clock: ManualClock;
  readonly loop: PylontechLoopback;
  readonly adapter: PylontechAdapter;
  readonly availability: Availability[];
}

const rigs: Rig[] = [];

async function startRig(keepAlive = false): Promise<Rig> {
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  const loop = await startPylontechSimulator({ clock, modules: 2, socPct: 55 });
  const adapter = new PylontechAdapter({ id: 'bms', connection: { ...loop.connection, keep_alive: keepAlive }, clock });
  const availability: Availability[] = [];
  adapter.events.on('availability', (a) => availability.push(a));
  const rig = { clock, loop, adapter, availability };
  rigs.push(rig);
  return rig;
}

afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.adapter.close();
    await rig.loop.stop();
  }
});

/** One simulated second: the simulator sends a burst; wait (real time, with a deadline) until it arrived. */
async function burst(rig: Rig): Promise<void> {
  const expected = rig.adapter.frameStats.decoded + (rig.loop.simulator.state.sending ? 6 : 0);
  await rig.clock.advance(1000);
  await eventually(() => (rig.adapter.frameStats.decoded >= expected ? true : undefined));
}

async function connect(rig: Rig): Promise<void> {
  const connecting = track(rig.adapter.connect());
  await eventually(() => (rig.adapter.listening || connecting.done() ? true : undefined));
  while (!connecting.done()) await burst(rig);
  await connecting.result;
}

describe('PylontechAdapter over socketcand on loopback, against the simulator', () => {
  it('reads the pack in project units and signs: discharging positive, charging negative', async () => {
    const rig = await startRig();
    await connect(rig);
    rig.loop.simulator.setCurrent(30);
    await burst(rig);
    let { values } = await rig.adapter.read();
    expect(values).toMatchObject({
      manufacturer: 'PYLON',
      module_count: 2,
      battery_soh: 99,
      battery_current: 30,
      charge_voltage_limit: 53.2,
      discharge_voltage_limit: 44.5,
      charge_current_limit: 200,
      discharge_current_limit: 200,
      charge_enabled: true,
      discharge_enabled: true,
      force_charge_request: false,
      protection_cell_overvoltage: false,
      alarm_high_temperature: false,
    });
    expect(values.battery_voltage as number).toBeGreaterThan(48);
    expect(values.battery_voltage as number).toBeLessThan(53);
    expect(values.battery_power).toBeCloseTo((values.battery_voltage as number) * 30, 0);
    expect(values.battery_soc).toBe(Math.round(rig.loop.simulator.state.socPct));

    rig.loop.simulator.setCurrent(-45);
    await burst(rig);
    ({ values } = await rig.adapter.read());
    expect(values.battery_current).toBe(-45);
    expect(values.battery_power as number).toBeLessThan(0);
    expect(rig.adapter.describe().info.manufacturer).toBe('Pylontech');
    expect(rig.adapter.busLabel).toBe(`socketcand 127.0.0.1:${rig.loop.port} can0`);
  });

  it('an alarm raised on the simulator reads true on its own binary reading, then clears', async () => {
    const rig = await startRig();
    await connect(rig);
    rig.loop.simulator.raiseAlarm('alarm_internal_communication');
    rig.loop.simulator.raiseAlarm('protection_cell_undervoltage');
    await burst(rig);
    let { values } = await rig.adapter.read();
    expect(values.alarm_internal_communication).toBe(true);
    expect(values.protection_cell_undervoltage).toBe(true);
    expect(values.discharge_current_limit).toBe(0);
    expect(values.discharge_enabled).toBe(false);
    expect(values.alarm_high_voltage).toBe(false);
    rig.loop.simulator.clearAlarm('alarm_internal_communication');
    rig.loop.simulator.clearAlarm('protection_cell_undervoltage');
    await burst(rig);
    ({ values } = await rig.adapter.read());
    expect(values.alarm_internal_communication).toBe(false);
    expect(values.protection_cell_undervoltage).toBe(false);
  });

  it('bus silence: unavailable 3 s after the last burst with the reason, back when the frames return', async () => {
    const rig = await startRig();
    await connect(rig);
    const lastBurstAt = rig.clock.now();
    rig.loop.simulator.silence();
    await rig.clock.advance(2900);
    expect(rig.availability.at(-1)?.available).toBe(true);
    await rig.clock.advance(100);
    expect(rig.availability.at(-1)).toMatchObject({
      available: false,
      since: lastBurstAt + 3000,
      reason: expect.stringMatching(
        /^timeout: no 0x351 \(limits\) frame for 3\.0 s on socketcand 127\.0\.0\.1:\d+ can0/,
      ),
    });
    await expect(rig.adapter.read()).rejects.toMatchObject({ kind: 'timeout' });
    rig.loop.simulator.resume();
    await burst(rig);
    await eventually(() => (rig.availability.at(-1)?.available === true ? true : undefined));
    await expect(rig.adapter.read()).resolves.toMatchObject({ values: { manufacturer: 'PYLON' } });
  });

  it('keep_alive: the simulated BMS sees one 0x305 a second over the gateway', async () => {
    const rig = await startRig(true);
    await connect(rig);
    const seen = rig.loop.simulator.state.keepAlivesSeen;
    for (let i = 0; i < 3; i++) await burst(rig);
    await eventually(() => (rig.loop.simulator.state.keepAlivesSeen >= seen + 3 ? true : undefined));
  });

  it('a gateway that drops the connection makes it unavailable; a new connect() reads again', async () => {
    const rig = await startRig();
    await connect(rig);
    rig.loop.server.disconnectAll();
    await eventually(() => (rig.availability.at(-1)?.available === false ? true : undefined));
    expect(rig.availability.at(-1)?.reason).toMatch(/^connection lost: CAN link lost/);
    await expect(rig.adapter.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    await connect(rig);
    await expect(rig.adapter.read()).resolves.toBeDefined();
    expect(rig.availability.at(-1)?.available).toBe(true);
  });
});
