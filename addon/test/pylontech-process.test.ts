import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPylontechSimulator, type PylontechLoopback } from '@sps/device-pylontech';
import { fetchJson, startAddon, type DevicesBody, type ReadingsBody } from './support/addon-api';
import { ensureBuilt, eventually, type SpsProcess } from './support/addon-process';

/**
 * The add-on as a child process (`sps run --config …`) with a `pylontech` device on a socketcand
 * connection to the simulator running in this test process (real time: the BMS bursts every second).
 * The readings reach /api/readings in project signs, an alarm raised on the BMS shows as its own
 * reading, and bus silence makes the device unavailable with the reason until the frames return.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-pylontech-process-'));
let loop: PylontechLoopback;
let addon: SpsProcess;
let base: string;

const getJson = <T>(route: string): Promise<T> => fetchJson<T>(base + route);

const battery = async (): Promise<ReadingsBody['devices'][string] | undefined> =>
  (await getJson<ReadingsBody>('api/readings')).devices['house_battery'];
const availability = async (): Promise<DevicesBody['devices'][number]['availability'] | undefined> =>
  (await getJson<DevicesBody>('api/devices')).devices.find((d) => d.id === 'house_battery')?.availability;

beforeAll(async () => {
  ensureBuilt();
  loop = await startPylontechSimulator({ modules: 2, socPct: 70, currentA: 20 });
  ({ addon, base } = await startAddon(tmp, [
    'log_level: debug',
    'devices:',
    '  - name: House battery',
    '    driver: pylontech',
    '    transport: socketcand',
    '    host: 127.0.0.1',
    `    port: ${loop.port}`,
    '    interface: can0',
    '    poll_interval_s: 1',
  ]));
}, 180_000);

afterAll(async () => {
  await addon?.kill();
  await loop?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the add-on with a pylontech device', () => {
  it('serves the BMS readings in project units and signs', async () => {
    const device = await eventually(async () => {
      const d = await battery();
      return d?.readings['manufacturer'] ? d : undefined;
    }, 'pylontech readings');
    expect(device.available).toBe(true);
    expect(device.readings['manufacturer']?.value).toBe('PYLON');
    expect(device.readings['module_count']?.value).toBe(2);
    expect(device.readings['battery_current']).toEqual({ value: 20, unit: 'A' });
    expect(device.readings['battery_power']?.value as number).toBeGreaterThan(900);
    expect(device.readings['battery_power']?.unit).toBe('W');
    expect(device.readings['protection_cell_overvoltage']?.value).toBe(false);
  });

  it('an alarm raised on the BMS reaches the add-on as its own reading', async () => {
    loop.simulator.raiseAlarm('alarm_high_temperature');
    await eventually(
      async () => ((await battery())?.readings['alarm_high_temperature']?.value === true ? true : undefined),
      'alarm_high_temperature true',
    );
    loop.simulator.clearAlarm('alarm_high_temperature');
    await eventually(
      async () => ((await battery())?.readings['alarm_high_temperature']?.value === false ? true : undefined),
      'alarm_high_temperature false',
    );
  });

  it('bus silence: unavailable with the reason, back when the frames return', async () => {
    loop.simulator.silence();
    const down = await eventually(
      async () => {
        const a = await availability();
        return a?.available === false ? a : undefined;
      },
      'the battery to be reported unavailable',
      30_000,
    );
    expect(down.reason).toMatch(/^timeout: no 0x351 \(limits\)/);
    loop.simulator.resume();
    await eventually(
      async () => ((await availability())?.available === true ? true : undefined),
      'the battery back',
      60_000,
    );
    expect(addon.unhandledRejections()).toEqual([]);
  }, 120_000);
});
