import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { startStuderSimulator, type RunningStuderSimulator } from '@sps/device-studer';
import { SpsProcess, ensureBuilt, eventually } from './support/addon-process';

/**
 * The add-on as a child process (`sps run --config …`) with a `studer` device on a socketcand
 * connection to the Xcom-CAN simulator in this test process (so the test can count the flash writes
 * that reached the Xtender). The Studer's own commands (`device_command`) go through the add-on's one
 * command path: the HTTP route, the SafetyGuard (the user's max_charge_w binds the charger current,
 * identical commands are not written twice), the device's own range refusal as a 4xx with the reason.
 */

interface CommandReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface DevicesBody {
  devices: {
    id: string;
    availability: { available: boolean };
    entities: { key: string; platform: string; min?: number; max?: number; command?: unknown }[];
    capabilities: { commands: string[]; device_commands: string[] } | null;
  }[];
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-studer-process-'));
let sim: RunningStuderSimulator;
let addon: SpsProcess;
let base: string;

async function post(body: Record<string, unknown>): Promise<CommandReply> {
  const response = await fetch(`${base}api/devices/studer/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const own = (name: string, args: Record<string, unknown>) => ({ type: 'device_command', name, ...args });
const flashWrites = (): number => sim.simulator.stats.flashWrites;

beforeAll(async () => {
  ensureBuilt();
  // A frozen clock: the Xtender changes only through the add-on's writes.
  sim = await startStuderSimulator({ clock: new ManualClock('2026-06-21T12:00:00Z') });
  const optionsFile = path.join(tmp, 'options.yaml');
  writeFileSync(
    optionsFile,
    [
      'log_level: info',
      'safety:',
      '  backup_reserve_pct: 10',
      '  max_charge_w: 2400', // 50 A on the 48 V bank
      'devices:',
      '  - name: Studer',
      '    driver: studer',
      '    transport: socketcand',
      '    host: 127.0.0.1',
      `    port: ${sim.port}`,
      '    interface: can0',
      '    min_gap_ms: 5',
      '    poll_interval_s: 5',
    ].join('\n'),
  );
  addon = new SpsProcess(['run', '--config', optionsFile, '--data-dir', path.join(tmp, 'data'), '--port', '0']);
  base = await addon.url();
  await eventually(async () => {
    const body = (await (await fetch(`${base}api/devices`)).json()) as DevicesBody;
    return body.devices.find((d) => d.id === 'studer')?.availability.available === true ? true : undefined;
  }, 'the Studer to be available');
}, 180_000);

afterAll(async () => {
  await addon?.kill();
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("the add-on takes the Studer's own commands through its one command path", () => {
  it('lists them, with the parameters as HA number and switch entities', async () => {
    const body = (await (await fetch(`${base}api/devices`)).json()) as DevicesBody;
    const device = body.devices.find((d) => d.id === 'studer');
    expect(device?.capabilities?.device_commands).toEqual([
      'set_charger_current',
      'set_ac_input_current_limit',
      'set_inverter_allowed',
      'set_charger_allowed',
    ]);
    const entity = (key: string) => device?.entities.find((e) => e.key === key);
    expect(entity('ac_input_current_limit')).toMatchObject({ platform: 'number', min: 2, max: 50 });
    expect(entity('charger_current')).toMatchObject({ platform: 'number', min: 0, max: 100 });
    expect(entity('inverter_allowed')?.platform).toBe('switch');
    expect(entity('charger_allowed')?.platform).toBe('switch');
  });

  it('set_ac_input_current_limit: one flash write; the same again within the window writes nothing', async () => {
    expect(sim.simulator.parameter(1107)?.flash).toBe(16); // the simulator's factory value
    const before = flashWrites();
    const first = await post(own('set_ac_input_current_limit', { amps: 20 }));
    expect(first).toMatchObject({ status: 200, body: { writes: 1, applied: { ac_input_current_limit_a: 20 } } });
    expect(sim.simulator.parameter(1107)?.flash).toBe(20);
    const again = await post(own('set_ac_input_current_limit', { amps: 20 }));
    expect(again).toMatchObject({ status: 200, body: { writes: 0, skipped: 'duplicate' } });
    expect(flashWrites()).toBe(before + 1);
  });

  it('set_charger_current within max_charge_w ÷ nominal voltage is written; above it is refused by the guard', async () => {
    const ok = await post(own('set_charger_current', { amps: 45 }));
    expect(ok).toMatchObject({ status: 200, body: { writes: 1, applied: { charger_current_a: 45 } } });
    expect(sim.simulator.parameter(1138)?.flash).toBe(45);
    const before = flashWrites();
    const tooMuch = await post(own('set_charger_current', { amps: 51 }));
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toEqual({
      error: 'amps: 51 A × 48 V = 2448 W exceeds the maximum charge power of 2400 W (at most 50 A)',
      field: 'amps',
    });
    expect(flashWrites()).toBe(before);
  });

  it('set_inverter_allowed and set_charger_allowed switch each alone; the reading follows', async () => {
    const [charger, inverter] = await Promise.all([
      post(own('set_charger_allowed', { on: false })),
      post(own('set_inverter_allowed', { on: true })),
    ]);
    expect(charger).toMatchObject({ status: 200, body: { writes: 1, applied: { charger_allowed: false } } });
    expect(inverter).toMatchObject({ status: 200, body: { writes: 0, applied: { inverter_allowed: true } } });
    expect(sim.simulator.parameter(1125)?.flash).toBe(0);
    expect(sim.simulator.parameter(1124)?.flash).toBe(1);
    await eventually(async () => {
      const r = (await (await fetch(`${base}api/readings`)).json()) as {
        devices: Record<string, { readings: Record<string, { value: unknown }> }>;
      };
      return r.devices['studer']?.readings['xtender_mode']?.value === 'inverter_only' ? true : undefined;
    }, 'xtender_mode inverter_only');
    const back = await post(own('set_charger_allowed', { on: true }));
    expect(back).toMatchObject({ status: 200, body: { writes: 1 } });
  });

  it("the device's refusal is a 409 with its reason, and nothing reaches the flash", async () => {
    const before = flashWrites();
    const refused = await post(own('set_ac_input_current_limit', { amps: 60 }));
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: "rejected: parameter 1107: 60 is outside the Xtender's range 2..50",
      kind: 'rejected',
    });
    expect(flashWrites()).toBe(before);
    expect(sim.simulator.parameter(1107)?.flash).toBe(20);
  });

  it('a name or argument the driver does not know is refused naming the field', async () => {
    const name = await post(own('set_turbo', { on: true }));
    expect(name.status).toBe(422);
    expect(name.body['field']).toBe('name');
    const arg = await post(own('set_ac_input_current_limit', { amps: 'lots' }));
    expect(arg.status).toBe(422);
    expect(arg.body).toMatchObject({ field: 'amps' });
    const extra = await post(own('set_ac_input_current_limit', { amps: 10, volts: 230 }));
    expect(extra.status).toBe(422);
    expect(String(extra.body['error'])).toMatch(/volts/);
    const shape = await post({ type: 'device_command', name: 'set_charger_current', amps: { a: 1 } });
    expect(shape.status).toBe(400);
    expect(shape.body['field']).toBe('amps');
  });

  it('SIGTERM: exits 0 with no unhandled rejection', async () => {
    addon.child.kill('SIGTERM');
    expect(await addon.exitWithin(15_000)).toEqual({ code: 0, signal: null });
    expect(addon.unhandledRejections()).toEqual([]);
  });
});
