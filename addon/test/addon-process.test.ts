import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { builtInDrivers } from '../src/drivers';
import { fetchJson, startAddon, type DevicesBody, type ReadingsBody } from './support/addon-api';
import { SpsProcess, ensureBuilt, eventually, runSps, unusedPort } from './support/addon-process';

/**
 * The add-on as a child process (`node addon/dist/cli.js run --config …`) against a Sungrow
 * simulator running in this test process on a frozen clock, so the physical state the
 * add-on reads is exactly the state the test compares with.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-addon-process-'));
const clock = new ManualClock('2026-01-15T12:00:00Z');
const sim = new SungrowSimulator({ clock });
let simPort: number;
let addon: SpsProcess;
let base: string;

const getJson = <T>(route: string): Promise<T> => fetchJson<T>(base + route);

async function postCommand(device: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}api/devices/${device}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ensureBuilt();
  simPort = await sim.start({ host: '127.0.0.1', port: 0 });
  const deadPort = await unusedPort();
  ({ addon, base } = await startAddon(tmp, [
    'log_level: debug',
    'devices:',
    '  - name: Inverter',
    '    driver: sungrow-sh',
    '    host: 127.0.0.1',
    `    port: ${simPort}`,
    '    poll_interval_s: 1',
    '    position: P3',
    '  - name: Garage inverter',
    '    driver: sungrow-sh',
    '    host: 127.0.0.1',
    `    port: ${deadPort}`,
    '    timeout_ms: 500',
    '    poll_interval_s: 1',
    'safety:',
    '  backup_reserve_pct: 10',
    '  max_charge_w: 6000',
  ]));
}, 180_000);

afterAll(async () => {
  await addon?.kill();
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the add-on as a child process', () => {
  it("serves the simulator's values on /api/readings", async () => {
    const inverter = await eventually(async () => {
      const body = await getJson<ReadingsBody>('api/readings');
      return body.devices['inverter']?.readings['battery_soc'] ? body.devices['inverter'] : undefined;
    }, 'inverter readings');
    const state = sim.state;
    const value = (key: string): number => {
      const v = inverter.readings[key]?.value;
      if (typeof v !== 'number') throw new Error(`${key} is ${String(v)}`);
      return v;
    };
    expect(inverter.available).toBe(true);
    expect(inverter.readings['battery_soc']?.unit).toBe('%');
    expect(Math.abs(value('battery_soc') - state.socPct)).toBeLessThanOrEqual(0.051);
    expect(value('pv_power')).toBe(Math.round(state.pvPowerW));
    expect(Math.abs(value('load_power') - state.loadPowerW)).toBeLessThanOrEqual(1);
    expect(Math.abs(value('grid_power') - state.gridPowerW)).toBeLessThanOrEqual(1);
    expect(Math.abs(value('battery_power') - state.batteryPowerW)).toBeLessThanOrEqual(1);
    expect(inverter.readings['pv_power']?.unit).toBe('W');
  });

  it('shows a device that is down as unavailable with a reason while the other keeps serving', async () => {
    const devices = await eventually(async () => {
      const body = await getJson<DevicesBody>('api/devices');
      const garage = body.devices.find((d) => d.id === 'garage_inverter');
      return garage?.availability.reason?.startsWith('connection refused') ? body.devices : undefined;
    }, 'the garage inverter to be reported down');
    expect(devices.find((d) => d.id === 'garage_inverter')?.availability.available).toBe(false);
    expect(devices.find((d) => d.id === 'inverter')).toMatchObject({
      availability: { available: true, reason: null },
      info: { model: 'SH10RT' },
    });
    const health = await getJson<{ devices: { total: number; available: number } }>('api/health');
    expect(health.devices).toEqual({ total: 2, available: 1 });
    const readings = await getJson<ReadingsBody>('api/readings');
    expect(readings.devices['inverter']?.readings['battery_soc']).toBeDefined();
    expect(readings.devices['garage_inverter']).toMatchObject({ available: false, readings: {} });
  });

  it("changes the simulator's registers with a POSTed command", async () => {
    const charge = await postCommand('inverter', JSON.stringify({ type: 'force_charge', power_w: 2000 }));
    expect(charge.status).toBe(200);
    const holding = sim.holdingRegisters;
    expect(holding.get(HOLDING.EMS_MODE)).toBe(2);
    expect(holding.get(HOLDING.FORCED_COMMAND)).toBe(FORCED_COMMAND_CODE.charge);
    expect(holding.get(HOLDING.FORCED_POWER)).toBe(2000);

    const reserve = await postCommand('inverter', JSON.stringify({ type: 'set_backup_reserve', percent: 25 }));
    expect(reserve.status).toBe(200);
    expect(sim.holdingRegisters.get(HOLDING.MIN_SOC)).toBe(250);

    const tooMuch = await postCommand('inverter', JSON.stringify({ type: 'force_charge', power_w: 7000 }));
    expect(tooMuch).toMatchObject({ status: 422, body: { field: 'power_w' } });
    expect(sim.holdingRegisters.get(HOLDING.FORCED_POWER)).toBe(2000);

    const down = await postCommand('garage_inverter', JSON.stringify({ type: 'restore_normal' }));
    expect(down.status).toBe(502);
    expect(String(down.body['error'])).toMatch(/connection refused/);
  });

  it('answers a malformed POST body with 400 naming the field', async () => {
    const wrongType = await postCommand('inverter', JSON.stringify({ type: 'force_discharge', power_w: -5 }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body['field']).toBe('power_w');
    expect(String(wrongType.body['error'])).toMatch(/^power_w: /);
    const notJson = await postCommand('inverter', '{"type": ');
    expect(notJson).toMatchObject({ status: 400, body: { field: 'body' } });
  });

  it('exits 0 within 5 s of SIGTERM, even with a live stream open', async () => {
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${base}api/stream`, resolve).on('error', reject),
    );
    stream.resume();
    const streamEnded = new Promise<void>((resolve) => stream.on('close', () => resolve()));
    addon.child.kill('SIGTERM');
    const { code, signal } = await addon.exitWithin(5000);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(addon.stdout).toMatch(/shutting down/);
    expect(addon.stdout).toMatch(/INFO stopped/);
    await streamEnded;
  });
});

describe('bad options', () => {
  it('exits non-zero with one stderr line naming the field', async () => {
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, 'devices:\n  - name: Inverter\n    driver: sungrow-sh\n    host: 10.0.0.2\n    port: 99999\n');
    const result = await runSps(['run', '--config', file, '--data-dir', path.join(tmp, 'bad-data')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('sps run: invalid options: devices[0].port: expected an integer between 1 and 65535\n');
  });

  it('exits non-zero when no options are given outside the Supervisor', async () => {
    const result = await runSps(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--config FILE/);
  });
});

describe('sps read / write / simulate', () => {
  it('reads a device once as JSON with canonical keys', async () => {
    const result = await runSps(['read', 'sungrow-sh', '--host', '127.0.0.1', '--port', String(simPort), '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { device: Record<string, unknown>; readings: Record<string, unknown> };
    expect(output.device).toMatchObject({
      id: 'sungrow-sh',
      driver: 'sungrow-sh',
      manufacturer: 'Sungrow',
      model: 'SH10RT',
    });
    expect(Math.abs((output.readings['battery_soc'] as number) - sim.state.socPct)).toBeLessThanOrEqual(0.051);
    expect(output.readings['pv_power']).toBe(Math.round(sim.state.pvPowerW));
  });

  it('prints a human table without --json', async () => {
    const result = await runSps(['read', 'sungrow-sh', '--host', '127.0.0.1', '--port', String(simPort)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Sungrow SH10RT {2}serial SIM0000001/);
    expect(result.stdout).toMatch(/\nbattery_soc +[\d.]+ +%\n/);
  });

  it('writes a command through the safety guard', async () => {
    const ok = await runSps([
      'write',
      'sungrow-sh',
      'set_export_limit',
      '--power-w',
      '3000',
      '--host',
      '127.0.0.1',
      '--port',
      String(simPort),
      '--json',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(sim.holdingRegisters.get(HOLDING.EXPORT_LIMIT)).toBe(3000);

    const belowReserve = await runSps([
      'write',
      'sungrow-sh',
      'set_backup_reserve',
      '--percent',
      '5',
      '--host',
      '127.0.0.1',
      '--port',
      String(simPort),
    ]);
    expect(belowReserve.code).toBe(1);
    expect(belowReserve.stderr).toMatch(/^sps write: rejected: percent: 5 % is below .*\n$/);
  });

  it('fails with one line for bad input and for an unreachable device', async () => {
    const badFlag = await runSps(['write', 'sungrow-sh', 'force_charge', '--power-w', 'lots', '--host', '127.0.0.1']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/^sps write: --power-w: .*\n$/);

    const badPort = await runSps(['read', 'sungrow-sh', '--host', '127.0.0.1', '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toBe('sps read: --port: expected an integer between 1 and 65535\n');

    const unreachable = await runSps([
      'read',
      'sungrow-sh',
      '--host',
      '127.0.0.1',
      '--port',
      String(await unusedPort()),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^sps read: connection refused: .*\n$/);

    const unknownDriver = await runSps(['read', 'flux-capacitor']);
    expect(unknownDriver.code).toBe(2);
    expect(unknownDriver.stderr).toBe(
      `sps read: unknown driver "flux-capacitor" (known: ${builtInDrivers.names().join(', ')})\n`,
    );
  });

  it('runs a simulator until SIGINT and prints its port', async () => {
    const simulator = new SpsProcess(['simulate', 'sungrow-sh', '--port', '0']);
    try {
      const match = await simulator.waitForOutput(/listening on 127\.0\.0\.1:(\d+)/);
      const result = await runSps(['read', 'sungrow-sh', '--host', '127.0.0.1', '--port', String(match[1]), '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ device: { model: 'SH10RT' } });
      simulator.child.kill('SIGINT');
      expect(await simulator.exitWithin(5000)).toEqual({ code: 0, signal: null });
    } finally {
      await simulator.kill();
    }
  });
});
