import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeviceError, ManualClock, systemClock, type DeviceDescription } from '@sps/core';
import { FakeHa, type Received } from '../../packages/ha/test/fakeHa';
import { defineDriver } from '../src/driver-types';
import { DriverRegistry } from '../src/drivers';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import type { ReadingArchive } from '../src/reading-archive';
import { AddonRuntime } from '../src/runtime';
import { MemoryStateStore } from '../src/state-store';
import { FakeDevice } from './support/fake-device';
import { z } from 'zod';

/** The fake device plus one control, so HA entity actions have something to bind to. */
class ControllableDevice extends FakeDevice {
  override describe(): DeviceDescription {
    const base = super.describe();
    return {
      ...base,
      entities: [
        ...base.entities,
        {
          key: 'backup_reserve',
          platform: 'number',
          translationKey: 'backup_reserve',
          name: 'Backup reserve',
          unit: '%',
          min: 0,
          max: 100,
          command: { command: 'set_backup_reserve', field: 'percent' },
        },
        {
          key: 'restore_normal',
          platform: 'button',
          translationKey: 'restore_normal',
          name: 'Restore',
          command: { command: 'restore_normal' },
        },
      ],
    };
  }
}

function drivers(clock: ManualClock, devices: Map<string, ControllableDevice>): DriverRegistry {
  return new DriverRegistry([
    defineDriver({
      name: 'fake',
      title: 'Fake device',
      fields: z.strictObject({}),
      pollIntervals: () => ({ defaultMs: 5000, minMs: 1000 }),
      create: (id) => {
        const device = new ControllableDevice(id, clock);
        devices.set(id, device);
        return device;
      },
    }),
  ]);
}

/** No time series here; the state store is passed separately. */
const noArchive: ReadingArchive = {
  append: () => undefined,
  flush: () => undefined,
  close: () => undefined,
  history: () => ({ resolution: 'raw', points: [] }),
};

const config = (names: string[]) =>
  parseOptions(
    {
      devices: names.map((name) => ({ name, driver: 'fake' })),
      safety: { backup_reserve_pct: 15, max_charge_w: 4000 },
    },
    drivers(new ManualClock(), new Map()),
  );

describe('the add-on wired to HA (loopback fake HA)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-ha-link-'));
  const haConfig = path.join(tmp, 'homeassistant');
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const devices = new Map<string, ControllableDevice>();
  const stateStore = new MemoryStateStore();
  const ha = new FakeHa();
  let runtime: AddonRuntime;
  let haUrl: string;
  let requests = 0;

  async function act(action: Record<string, unknown>): Promise<Record<string, unknown>> {
    const requestId = `r${++requests}`;
    ha.sendAction({ type: 'action', request_id: requestId, ...action });
    const reply = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/action_result' && r.msg['request_id'] === requestId,
    );
    return reply.msg;
  }
  const declarations = (): Received[] => ha.of('smart_power_station/declare');

  beforeAll(async () => {
    mkdirSync(haConfig, { recursive: true });
    writeFileSync(path.join(haConfig, 'configuration.yaml'), '');
    haUrl = await ha.start();
    runtime = await AddonRuntime.start({
      config: config(['Inverter', 'Shed battery']),
      dataDir: tmp,
      supervised: false,
      drivers: drivers(clock, devices),
      logger: silentLogger(),
      httpPort: 0,
      clock,
      archive: noArchive,
      stateStore,
      ha: { url: haUrl, token: 'test-token-123', viaSupervisor: false },
      // Devices run on the manual clock; the HA socket's heartbeat needs real time.
      haClient: { clock: systemClock },
      haConfigDirs: [haConfig],
    });
    await runtime.ha?.client.waitForStatus('ready');
    await clock.advance(0); // first poll: both devices answer
    await ha.waitFor(
      // The two devices and the alarms device (device_unavailable for each, low SOC once a SOC is read).
      (r) => r.msg.type === 'smart_power_station/declare' && (r.msg['devices'] as unknown[]).length === 3,
    );
  });

  afterAll(async () => {
    await runtime.stop();
    await ha.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('declares every device with its panel link, then its availability and readings', async () => {
    const last = declarations().at(-1)?.msg as unknown as {
      devices: Record<string, unknown>[];
      hub: Record<string, unknown>;
    };
    expect(last.hub).toMatchObject({ name: 'Smart Power Station', configuration_url: runtime.url });
    expect(last.devices.map((d) => d['id'])).toEqual(['inverter', 'shed_battery', 'sps:alarms']);
    expect(last.devices[0]).toMatchObject({
      name: 'Inverter',
      manufacturer: 'Fake',
      serial: 'SN-inverter',
      configuration_url: runtime.url,
    });
    expect((last.devices[0]?.['entities'] as { key: string }[]).map((e) => e.key)).toEqual([
      'battery_soc',
      'pv_power',
      'mode',
      'backup_reserve',
      'restore_normal',
    ]);
    await ha.waitFor(
      (r) =>
        r.msg.type === 'smart_power_station/availability' &&
        JSON.stringify(r.msg['devices']).includes('"device_id":"inverter","available":true'),
    );
    await ha.waitFor(
      (r) =>
        r.msg.type === 'smart_power_station/states' &&
        JSON.stringify(r.msg['states']).includes('{"device_id":"inverter","key":"battery_soc","state":50}'),
    );
  });

  it('installs the bundled bridge and asks HA, once, for a restart', async () => {
    expect(runtime.bridgeInstall).toMatchObject({ action: 'installed' });
    const call = await ha.waitForType('call_service');
    expect(ha.of('call_service')).toHaveLength(1);
    expect(call.msg).toMatchObject({
      domain: 'persistent_notification',
      service: 'create',
      service_data: { notification_id: 'smart_power_station_bridge', title: expect.stringContaining('restart') },
    });
  });

  it('turns entity actions into commands through the safety guard, with the reason on failure', async () => {
    const inverter = devices.get('inverter') as ControllableDevice;
    expect(
      await act({
        kind: 'entity',
        action: 'set_value',
        device_id: 'inverter',
        key: 'backup_reserve',
        platform: 'number',
        translationKey: 'backup_reserve',
        value: 30,
      }),
    ).toMatchObject({ success: true, result: { state: 30 } });
    expect(inverter.executed.at(-1)).toEqual({ type: 'set_backup_reserve', percent: 30 });

    const refused = await act({
      kind: 'entity',
      action: 'set_value',
      device_id: 'inverter',
      key: 'backup_reserve',
      platform: 'number',
      translationKey: 'backup_reserve',
      value: 5,
    });
    expect(refused).toMatchObject({
      success: false,
      error: 'percent: 5 % is below the lowest allowed backup reserve of 15 %',
    });

    inverter.refuseWith = new DeviceError('rejected', 'Modbus exception 3');
    expect(
      await act({ kind: 'entity', action: 'press', device_id: 'inverter', key: 'restore_normal', platform: 'button' }),
    ).toMatchObject({ success: false, error: 'rejected: Modbus exception 3' });
    inverter.refuseWith = undefined;

    expect(
      await act({ kind: 'entity', action: 'press', device_id: 'garage', key: 'restore_normal', platform: 'button' }),
    ).toMatchObject({ success: false, error: 'device_id: no device "garage" in the add-on' });
    expect(
      await act({
        kind: 'entity',
        action: 'turn_on',
        device_id: 'inverter',
        key: 'nope',
        platform: 'switch',
        translationKey: 'relay',
        value: true,
      }),
    ).toMatchObject({ success: false, error: expect.stringContaining('nope') });
  });

  it('runs services; a timed force_charge returns to normal by itself', async () => {
    const shed = devices.get('shed_battery') as ControllableDevice;
    const reply = await act({
      kind: 'service',
      service: 'force_charge',
      device_id: 'shed_battery',
      data: { duration_minutes: 10 },
    });
    expect(reply).toMatchObject({ success: true });
    // No power given: the device's maximum, capped by the user's 4000 W.
    expect(shed.executed.at(-1)).toEqual({
      type: 'force_charge',
      power_w: 4000,
      until: new Date(clock.now() + 10 * 60_000).toISOString(),
    });
    expect([...runtime.overrides.list().keys()]).toEqual(['shed_battery']);
    await clock.advance(10 * 60_000);
    expect(shed.executed.at(-1)).toEqual({ type: 'restore_normal' });
    expect(runtime.overrides.list().size).toBe(0);

    expect(
      await act({
        kind: 'service',
        service: 'force_charge',
        device_id: 'shed_battery',
        data: { duration_minutes: 10, power_kw: 9 },
      }),
    ).toMatchObject({ success: false, error: 'power_w: 9000 W exceeds the maximum charge power of 4000 W' });
    expect(await act({ kind: 'service', service: 'set_export_limit', data: { watts: 10 } })).toMatchObject({
      success: false,
      error: 'set_export_limit: device_id is required',
    });
  });

  it('sync_now polls at once and fails with the reason of a device that does not answer', async () => {
    const inverter = devices.get('inverter') as ControllableDevice;
    const shed = devices.get('shed_battery') as ControllableDevice;
    const reads = [inverter.reads, shed.reads];
    expect(await act({ kind: 'service', service: 'sync_now', data: {} })).toMatchObject({ success: true });
    expect([inverter.reads, shed.reads]).toEqual([reads[0]! + 1, reads[1]! + 1]);

    shed.failWith = new DeviceError('timeout', 'no answer within 3000 ms');
    expect(await act({ kind: 'service', service: 'sync_now', device_id: 'shed_battery', data: {} })).toMatchObject({
      success: false,
      error: 'shed_battery: timeout: no answer within 3000 ms',
    });
    await ha.waitFor(
      (r) =>
        r.msg.type === 'smart_power_station/availability' &&
        JSON.stringify(r.msg['devices']).includes('"available":false,"reason":"timeout: no answer within 3000 ms"'),
    );
  });

  it('shows problems that have a repair key as HA repair issues, and clears them with the problem', async () => {
    const repairs = (): unknown[] => (ha.of('smart_power_station/repairs').at(-1)?.msg['issues'] as unknown[]) ?? [];
    runtime.problems.raise({ id: 'plain', severity: 'warning', message: 'shown in health only' });
    runtime.problems.raise({
      id: 'store_reset',
      severity: 'warning',
      message: 'the store was damaged and moved aside',
      repair: { key: 'store_reset', placeholders: { path: '/data/store.sqlite.corrupt-x' } },
    });
    await ha.waitFor(() => repairs().length === 1);
    expect(repairs()).toEqual([
      {
        id: 'store_reset',
        key: 'store_reset',
        severity: 'warning',
        placeholders: { path: '/data/store.sqlite.corrupt-x' },
      },
    ]);
    runtime.problems.clear('store_reset');
    runtime.problems.clear('plain');
    await ha.waitFor(
      () => ha.of('smart_power_station/repairs').at(-1)?.msg['issues'] !== undefined && repairs().length === 0,
    );
  });

  it('after a restart, declares a device that is offline from what it last knew', async () => {
    await runtime.stop();
    const before = declarations().length;
    const clock2 = new ManualClock('2026-06-01T13:00:00Z');
    const devices2 = new Map<string, ControllableDevice>();
    const registry = drivers(clock2, devices2);
    runtime = await AddonRuntime.start({
      config: config(['Inverter', 'Shed battery']),
      dataDir: tmp,
      supervised: false,
      drivers: registry,
      logger: silentLogger(),
      httpPort: 0,
      clock: clock2,
      archive: noArchive,
      stateStore,
      ha: { url: haUrl, token: 'test-token-123', viaSupervisor: false },
      // Devices run on the manual clock; the HA socket's heartbeat needs real time.
      haClient: { clock: systemClock },
      haConfigDirs: [haConfig],
    });
    await runtime.ha?.client.waitForStatus('ready');
    // Nothing has been polled yet (the clock has not moved): the declaration comes from the store.
    const declared = await ha.waitFor(
      (r) => r.msg.type === 'smart_power_station/declare' && declarations().indexOf(r) >= before,
    );
    expect((declared.msg['devices'] as { id: string }[]).map((d) => d.id)).toEqual([
      'inverter',
      'shed_battery',
      'sps:alarms',
    ]);
    expect(runtime.bridgeInstall).toMatchObject({ action: 'up_to_date' });
  });
});
