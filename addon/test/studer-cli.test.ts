import { ensureBuilt, runSps, type SpsProcess } from './support/addon-process';
import { readWithoutGateway, simulateCanDriver } from './support/can-cli';

/**
 * `sps simulate studer` and `sps read|write studer` as child processes: the simulator is an
 * Xcom-CAN with an Xtender and a VarioTrack on a virtual CAN bus behind a socketcand gateway on
 * loopback, reached through the production socketcand transport and the Studer client.
 */

interface ReadOutput {
  device: Record<string, unknown>;
  readings: Record<string, unknown>;
}

beforeAll(() => ensureBuilt());

describe('sps simulate / read / write studer', () => {
  let simulator: SpsProcess | undefined;
  let target: string[] = [];

  beforeAll(async () => {
    const started = await simulateCanDriver('studer');
    simulator = started.simulator;
    target = [...started.target, '--interface', 'can0'];
    expect(started.started).toMatchObject({ driver: 'studer', host: '127.0.0.1', interface: 'can0' });
    expect(started.started.read).toContain(`sps read studer ${started.target.join(' ')}`);
  });

  afterAll(async () => {
    await simulator?.kill();
  });

  it('read gets the Xtender and VarioTrack in project units and signs', async () => {
    const result = await runSps(['read', 'studer', ...target, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReadOutput;
    expect(output.device).toMatchObject({ driver: 'studer', manufacturer: 'Studer Innotec', model: 'Xtender + VT-65' });
    const r = output.readings;
    expect(r).toMatchObject({
      transfer_relay_closed: false, // the simulator starts off-grid, no generator
      operating_state: 'inverter',
      ac_output_voltage: 230,
      xtender_mode: 'inverter_and_charger',
      charger_current: 60,
    });
    expect(r['battery_soc']).toEqual(expect.any(Number));
    // The house's load comes from the inverter: the battery (+ discharging) gives load − PV plus the
    // inverter's losses, whatever the time of day the test runs at.
    const balance = (r['ac_output_power'] as number) - (r['pv_power'] as number);
    expect(r['battery_power'] as number).toBeGreaterThanOrEqual(balance - 5 - 0.05 * Math.abs(balance));
  });

  it('write sets the charger current once; the same value again costs no write', async () => {
    const first = await runSps(['write', 'studer', 'set_charge_limit', '--power-w', '2400', ...target, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ applied: { charger_current_a: 50, power_w: 2400 }, writes: 1 });
    const again = await runSps(['write', 'studer', 'set_charge_limit', '--power-w', '2400', ...target, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ writes: 0 });
    const read = JSON.parse((await runSps(['read', 'studer', ...target, '--json'])).stdout) as ReadOutput;
    expect(read.readings['charger_current']).toBe(50);
  });

  it("a power above the charger's maximum or an unknown mode is refused, naming why", async () => {
    const tooMuch = await runSps(['write', 'studer', 'set_charge_limit', '--power-w', '9000', ...target]);
    expect(tooMuch.code).not.toBe(0);
    expect(tooMuch.stderr).toMatch(/power_w/);
    const mode = await runSps(['write', 'studer', 'set_operating_mode', '--mode', 'turbo', ...target]);
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toMatch(/turbo/);
  });

  it('no gateway is a one-line error; a bad address flag names the flag', async () => {
    const nobody = await readWithoutGateway('studer');
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toMatch(/^sps read: connection refused: socketcand 127\.0\.0\.1:\d+ can0/);
    const bad = await runSps(['read', 'studer', ...target, '--xtender-address', '7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--xtender-address');
  });

  it('SIGINT stops the simulator', async () => {
    simulator?.child.kill('SIGINT');
    expect(await simulator?.exitWithin(5000)).toEqual({ code: 0, signal: null });
  });
});
