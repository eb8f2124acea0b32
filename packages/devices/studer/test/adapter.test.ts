import { ManualClock, DeviceError } from '@sps/core';
import { startStuderSimulator, StuderAdapter, type RunningStuderSimulator } from '@sps/device-studer';

/**
 * The production adapter over the production socketcand client, on loopback, against the simulator
 * on a VirtualCanBus behind a SocketcandServer: the whole Xcom-CAN path but the wire.
 */
describe('StuderAdapter over socketcand against the simulator', () => {
  let sim: RunningStuderSimulator;
  let adapter: StuderAdapter;
  // Noon UTC: the VarioTrack is producing.
  const clock = new ManualClock('2026-06-21T12:00:00Z');

  beforeEach(async () => {
    sim = await startStuderSimulator({ clock, initialSocPct: 60 });
    adapter = new StuderAdapter({
      id: 'studer',
      clock,
      connection: { transport: 'socketcand', host: sim.host, port: sim.port, interface: sim.interface, min_gap_ms: 5 },
    });
    await adapter.connect();
  });

  afterEach(async () => {
    await adapter.close();
    await sim.stop();
  });

  it('describes the Xtender and VarioTrack with the charge limit from the device max', () => {
    const d = adapter.describe();
    expect(d.info.model).toBe('Xtender + VT-65');
    expect(d.capabilities.limits.maxChargeW).toBe(100 * 48);
    expect(d.capabilities.commands).toEqual([
      'restore_normal',
      'set_charge_limit',
      'set_operating_mode',
      'device_command',
    ]);
    expect(d.capabilities.deviceCommands).toEqual([
      { name: 'set_charger_current', chargeCurrent: { field: 'amps', nominalVoltageV: 48 } },
      { name: 'set_ac_input_current_limit' },
      { name: 'set_inverter_allowed' },
      { name: 'set_charger_allowed' },
    ]);
    // The parameters in amps are numbers with the Xtender's own ranges; each switch alone a switch.
    const byKey = new Map(d.entities.map((e) => [e.key, e]));
    expect(byKey.get('ac_input_current_limit')).toMatchObject({
      platform: 'number',
      min: 2,
      max: 50,
      unit: 'A',
      command: { command: 'device_command', field: 'amps', fixed: { name: 'set_ac_input_current_limit' } },
    });
    expect(byKey.get('charger_current')).toMatchObject({ platform: 'number', min: 0, max: 100 });
    expect(byKey.get('inverter_allowed')).toMatchObject({
      platform: 'switch',
      command: { command: 'device_command', field: 'on', fixed: { name: 'set_inverter_allowed' } },
    });
    expect(byKey.get('charger_allowed')?.platform).toBe('switch');
    for (const e of d.entities) expect(e.translationKey).toBeTruthy();
  });

  it('reads the battery, AC, PV and states with the project signs (+ discharging) and units (W, Wh)', async () => {
    const noon = await adapter.read();
    const v = noon.values;
    const s = sim.simulator.state;
    expect(v.battery_soc).toBeCloseTo(s.socPct, 1);
    expect(v.battery_voltage).toBeCloseTo(s.batteryVoltage, 1);
    expect(v.pv_power).toBeGreaterThan(2500); // VT-65 at noon on a 52 V bank
    expect(v.battery_current as number).toBeLessThan(0); // charging from PV: negative
    expect(v.battery_power as number).toBeLessThan(0);
    expect(v.transfer_relay_closed).toBe(false);
    expect(v.operating_state).toBe('inverter');
    expect(v.ac_output_voltage).toBe(230);
    expect(v.ac_output_power).toBe(s.loadW);
    expect(v.load_power).toBe(s.loadW);
    expect(v.ac_input_voltage).toBe(0);
    expect(v.battery_cycle_phase).toBe('bulk');
    expect(v.xtender_mode).toBe('inverter_and_charger');
    expect(v.pv_energy as number).toBeGreaterThan(1_000_000); // MWh → Wh
    expect(v.charger_current).toBe(60);

    // Night: the inverter feeds the house from the battery, which discharges (+).
    clock.set('2026-06-21T21:00:00Z');
    sim.simulator.physics.step(clock.now());
    const night = (await adapter.read()).values;
    expect(night.pv_power).toBe(0);
    expect(night.battery_current as number).toBeGreaterThan(0);
    expect(night.battery_power as number).toBeGreaterThan(night.ac_output_power as number); // inverter losses
  });

  it('follows the transfer relay when a generator starts and stops', async () => {
    sim.simulator.setAcSource(true);
    const on = (await adapter.read()).values;
    expect(on.transfer_relay_closed).toBe(true);
    expect(on.operating_state).toBe('charger');
    expect(on.ac_input_voltage).toBeGreaterThan(200);
    expect(on.ac_input_power as number).toBeGreaterThan(on.ac_output_power as number); // loads + charger
    sim.simulator.setAcSource(false);
    expect((await adapter.read()).values.transfer_relay_closed).toBe(false);
  });

  it('writes a changed parameter once, and an unchanged one costs 0 bus writes', async () => {
    const before = adapter.busStats?.writesSent ?? 0;
    const first = await adapter.execute({ type: 'set_charge_limit', power_w: 2400 });
    expect(first.writes).toBe(1);
    expect(first.applied).toEqual({ charger_current_a: 50, power_w: 2400 });
    expect(sim.simulator.parameter(1138)?.flash).toBe(50);
    const again = await adapter.execute({ type: 'set_charge_limit', power_w: 2400 });
    expect(again.writes).toBe(0);
    expect(adapter.busStats?.writesSent).toBe(before + 1);
    expect(sim.simulator.stats.flashWrites).toBe(1);

    const mode = await adapter.execute({ type: 'set_operating_mode', mode: 'inverter_only' });
    expect(mode.writes).toBe(1); // 1124 was already 1
    expect((await adapter.read()).values.xtender_mode).toBe('inverter_only');
    const limit = await adapter.execute({ type: 'device_command', name: 'set_ac_input_current_limit', amps: 25 });
    expect(limit.writes).toBe(1);
    expect(sim.simulator.parameter(1107)?.flash).toBe(25);
  });

  it('two commands and a read at once run one after another, the last command wins', async () => {
    const [a, b, reading, c] = await Promise.all([
      adapter.execute({ type: 'set_charge_limit', power_w: 2400 }),
      adapter.execute({ type: 'set_charge_limit', power_w: 1920 }),
      adapter.read(),
      adapter.execute({ type: 'device_command', name: 'set_charger_allowed', on: false }),
    ]);
    expect([a.writes, b.writes, c.writes]).toEqual([1, 1, 1]);
    expect(reading.values.battery_soc).toEqual(expect.any(Number));
    expect(sim.simulator.parameter(1138)?.flash).toBe(40);
    expect(sim.simulator.parameter(1125)?.flash).toBe(0);
    expect(adapter.busStats?.strayAnswers).toBe(0);
  });

  it('a write whose answer is lost is read back, not written again', async () => {
    sim.simulator.loseWriteAnswers(1);
    const outcome = await adapter.execute({ type: 'device_command', name: 'set_charger_current', amps: 45 });
    expect(outcome.writes).toBe(1);
    expect(sim.simulator.parameter(1138)?.flash).toBe(45);
    expect(sim.simulator.stats.flashWrites).toBe(1);
    expect(adapter.busStats?.timeouts).toBe(1);
  });

  it("refuses a value outside the device's range before the bus", async () => {
    const sentBefore = adapter.busStats?.sent ?? 0;
    const err = await adapter
      .execute({ type: 'device_command', name: 'set_charger_current', amps: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toBe('rejected');
    expect((err as DeviceError).message).toMatch(/1138: 150 is outside the Xtender's range 0\.\.100/);
    expect(adapter.busStats?.sent).toBe(sentBefore);
    await expect(adapter.execute({ type: 'device_command', name: 'set_charger_current', amps: -1 })).rejects.toThrow(
      /amps/,
    );
    await expect(adapter.execute({ type: 'device_command', name: 'set_turbo', amps: 1 })).rejects.toThrow(/name/);
    await expect(adapter.execute({ type: 'set_operating_mode', mode: 'turbo' })).rejects.toThrow(
      /not a Studer operating mode/,
    );
  });

  it("surfaces the device's own refusal as a DeviceError", async () => {
    // The device's range narrower than the one read at connect (a installer-level change meanwhile).
    const p = sim.simulator.physics.parameters.get(1138);
    if (!p) throw new Error('no 1138');
    sim.simulator.physics.parameters.set(1138, { ...p, max: 40 });
    const err = (await adapter
      .execute({ type: 'device_command', name: 'set_charger_current', amps: 80 })
      .catch((e: unknown) => e)) as DeviceError;
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/DATA_TOO_BIG/);
    expect(sim.simulator.parameter(1138)?.flash).toBe(60);
  });

  it('close() in the middle of a read settles it with not_connected', async () => {
    const reading = adapter.read().catch((e: unknown) => e);
    await adapter.close();
    const err = (await reading) as DeviceError;
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.kind).toBe('not_connected');
    await expect(adapter.read()).rejects.toMatchObject({ kind: 'not_connected' });
  });

  it('a gateway that drops the TCP connection mid-read fails the read, and the adapter connects again', async () => {
    sim.simulator.setFault('silent'); // keep a request in flight
    const reading = adapter.read().catch((e: unknown) => e);
    await sim.stop(); // the gateway closes every connection
    const err = (await reading) as DeviceError;
    expect(['connection_lost', 'not_connected']).toContain(err.kind);
    sim = await startStuderSimulator({ clock, port: sim.port });
    await adapter.connect();
    expect((await adapter.read()).values.operating_state).toBe('inverter');
  });

  it('a silent gateway: timeouts after retries, the device unavailable with the reason', async () => {
    const events: { available: boolean; reason?: string }[] = [];
    adapter.events.on('availability', (a) => events.push(a));
    sim.simulator.setFault('silent');
    const err = (await adapter.read().catch((e: unknown) => e)) as DeviceError;
    expect(err.kind).toBe('timeout');
    expect(events.at(-1)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/no answer from Studer address 101/),
    });
    sim.simulator.setFault('busy');
    const busy = (await adapter.read().catch((e: unknown) => e)) as DeviceError;
    expect(busy.kind).toBe('busy');
    sim.simulator.setFault('none');
    await adapter.read();
    expect(events.at(-1)).toMatchObject({ available: true });
  }, 20_000);
});
