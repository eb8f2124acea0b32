import path from 'node:path';
import { REPO_ROOT, ensureBuilt, runSps, type SpsProcess } from './support/addon-process';
import { readWithoutGateway, simulateCanDriver } from './support/can-cli';

/**
 * `sps simulate pylontech` and `sps read|write pylontech` as child processes: the simulator is a
 * Pylontech on a virtual CAN bus behind a socketcand gateway on loopback, and `sps read` reaches it
 * through the production socketcand transport.
 */

interface ReadOutput {
  device: Record<string, unknown>;
  readings: Record<string, unknown>;
}

beforeAll(() => ensureBuilt());

describe('sps simulate / read / write pylontech', () => {
  let simulator: SpsProcess | undefined;
  let target: string[] = [];

  beforeAll(async () => {
    const started = await simulateCanDriver('pylontech');
    simulator = started.simulator;
    target = started.target;
    expect(started.started).toMatchObject({ driver: 'pylontech', host: '127.0.0.1', interface: 'can0' });
    expect(started.started.read).toBe(`sps read pylontech ${target.join(' ')}`);
  });

  afterAll(async () => {
    await simulator?.kill();
  });

  it('read gets one burst in project units and signs, every flag its own reading', async () => {
    const result = await runSps(['read', 'pylontech', ...target, '--interface', 'can0', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReadOutput;
    expect(output.device).toMatchObject({
      driver: 'pylontech',
      manufacturer: 'Pylontech',
      model: 'Lithium BMS on CAN (PYLON, 2 modules)',
    });
    expect(output.readings).toMatchObject({
      manufacturer: 'PYLON',
      module_count: 2,
      battery_current: 10, // the simulated house draws 10 A: discharging is positive
      charge_voltage_limit: 53.2,
      charge_enabled: true,
      protection_cell_overvoltage: false,
      alarm_internal_communication: false,
      protection_contactor: null, // only the SMA-style 0x35A carries it
    });
    expect(output.readings['battery_power'] as number).toBeGreaterThan(400);
  });

  it('write is refused: the BMS takes no commands', async () => {
    const result = await runSps(['write', 'pylontech', 'restore_normal', ...target]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/rejected: .*does not support "restore_normal" \(supported: none\)/);
  });

  it('a bus the wrong name, or a gateway that is not there, is a one-line error', async () => {
    const wrongBus = await runSps(['read', 'pylontech', ...target, '--interface', 'can7']);
    expect(wrongBus.code).not.toBe(0);
    expect(wrongBus.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongBus.stderr).toContain('can7');
    const nobody = await readWithoutGateway('pylontech');
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toMatch(/^sps read: connection refused: socketcand 127\.0\.0\.1:\d+ can0/);
  });

  it('a bad option names the flag', async () => {
    const result = await runSps(['read', 'pylontech', ...target, '--keep-alive', 'maybe']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--keep-alive');
  });

  it('read --transport candump replays the real BYD capture (dfch/BydCanProtocol, MIT)', async () => {
    const file = path.join(REPO_ROOT, 'packages/devices/pylontech/test/fixtures/byd-premium-lvs.candump.log');
    const result = await runSps(['read', 'pylontech', '--transport', 'candump', '--file', file, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as ReadOutput;
    expect(output.device).toMatchObject({ manufacturer: 'BYD' });
    expect(output.readings).toMatchObject({
      manufacturer: 'BYD',
      battery_soc: 67,
      battery_voltage: 53.1,
      battery_current: 0.7,
      charge_voltage_limit: 58.4,
      protection_cell_overvoltage: false,
    });
  });

  it('SIGINT stops the simulator', async () => {
    simulator?.child.kill('SIGINT');
    expect(await simulator?.exitWithin(5000)).toEqual({ code: 0, signal: null });
  });
});
