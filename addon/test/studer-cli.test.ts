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

  it("the Studer's own commands: one flag is one command, and the same value again costs no bus write", async () => {
    const write = async (flag: string, value: string) =>
      runSps(['write', 'studer', `--${flag}`, value, ...target, '--json']);
    const first = await write('ac-input-current-limit', '25'); // the simulator starts at 16 A
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      command: { type: 'device_command', name: 'set_ac_input_current_limit', amps: 25 },
      applied: { ac_input_current_limit_a: 25 },
      writes: 1,
    });
    expect(JSON.parse((await write('ac-input-current-limit', '16')).stdout)).toMatchObject({ writes: 1 });
    const again = await write('ac-input-current-limit', '16');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ writes: 0 });
    const charger = await write('charger-allowed', 'false');
    expect(JSON.parse(charger.stdout)).toMatchObject({ applied: { charger_allowed: false }, writes: 1 });
    expect(JSON.parse((await write('charger-allowed', 'true')).stdout)).toMatchObject({ writes: 1 });
    const human = await runSps(['write', 'studer', '--charger-current', '40', ...target]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^set_charger_current: 1 write\(s\) to the device\n/);
    const read = JSON.parse((await runSps(['read', 'studer', ...target, '--json'])).stdout) as ReadOutput;
    expect(read.readings).toMatchObject({ ac_input_current_limit: 16, charger_current: 40, charger_allowed: true });
  });

  it("the device's refusal, the guard's limit and bad flags are errors with the reason", async () => {
    const refused = await runSps(['write', 'studer', '--ac-input-current-limit', '60', ...target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/parameter 1107: 60 is outside the Xtender's range 2\.\.50/);
    // 101 A × 48 V is above the Xtender's own 100 A × 48 V = 4800 W: the guard refuses before the bus.
    const tooMuch = await runSps(['write', 'studer', '--charger-current', '101', ...target]);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stderr).toMatch(/rejected: amps: 101 A × 48 V = 4848 W exceeds the maximum charge power of 4800 W/);
    const two = await runSps(['write', 'studer', '--charger-current', '5', '--inverter-allowed', 'true', ...target]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/one command at a time/);
    const notBool = await runSps(['write', 'studer', '--inverter-allowed', 'yes', ...target]);
    expect(notBool.code).toBe(2);
    expect(notBool.stderr).toMatch(/--inverter-allowed: expected true or false/);
    const negative = await runSps(['write', 'studer', '--charger-current', '-3', ...target]);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/--charger-current: amps/);
    const help = await runSps(['write', 'studer', '--help']);
    expect(help.stdout).toMatch(/--ac-input-current-limit N +the AC input current limit, A/);
  });

  it("another driver's own flag is not an option of this one", async () => {
    const other = await runSps(['write', 'sungrow-sh', '--host', '127.0.0.1', '--charger-current', '5']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--charger-current: not an option of sungrow-sh/);
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
