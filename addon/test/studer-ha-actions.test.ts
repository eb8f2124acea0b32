import { SafetyGuard } from '@sps/control';
import { ENTITY_TRANSLATIONS, systemClock } from '@sps/core';
import { startStuderSimulator, type RunningStuderSimulator } from '@sps/device-studer';
import { mapEntity, type EntityAction } from '@sps/ha';
import { DeviceManager } from '../src/device-manager';
import { builtInDrivers } from '../src/drivers';
import { DeviceCatalogue } from '../src/ha/device-catalogue';
import { createHaActionHandler, HaActionError } from '../src/ha/action-handler';
import { ReadingHub } from '../src/hub';
import { silentLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { MemoryStateStore } from '../src/state-store';

/**
 * The Studer's HA controls (no real-HA Studer e2e exists yet): the entity descriptors as the bridge
 * declares them, and HA entity actions through the add-on's real action handler, device manager,
 * SafetyGuard and the production Studer adapter against the Xcom-CAN simulator on loopback. A guard
 * limit and the device's own refusal reach HA as a service error with the reason.
 */
describe("a Studer's parameters as HA number and switch entities", () => {
  let sim: RunningStuderSimulator;
  let manager: DeviceManager;
  let handle: ReturnType<typeof createHaActionHandler>;

  beforeAll(async () => {
    sim = await startStuderSimulator();
    const config = parseOptions(
      {
        safety: { backup_reserve_pct: 10, max_charge_w: 2400 },
        devices: [
          {
            name: 'Studer',
            driver: 'studer',
            transport: 'socketcand',
            host: sim.host,
            port: sim.port,
            interface: sim.interface,
            min_gap_ms: 5,
          },
        ],
      },
      builtInDrivers,
    );
    const guard = new SafetyGuard({ limits: config.safety });
    const logger = silentLogger();
    manager = new DeviceManager(config.devices, {
      drivers: builtInDrivers,
      hub: new ReadingHub(),
      guard,
      clock: systemClock,
      logger,
    });
    manager.start();
    await manager.pollNow('studer');
    const catalogue = new DeviceCatalogue(manager, new MemoryStateStore(), undefined, logger);
    catalogue.refresh();
    handle = createHaActionHandler({ manager, guard, catalogue, clock: systemClock, logger });
  });

  afterAll(async () => {
    await manager.stop();
    await sim.stop();
  });

  const action = (key: string, platform: EntityAction['platform'], act: EntityAction['action'], value?: unknown) =>
    handle({
      type: 'action',
      request_id: 'r',
      kind: 'entity',
      device_id: 'studer',
      key,
      platform,
      action: act,
      ...(value === undefined ? {} : { value: value as number | boolean }),
    });

  it('declares the currents as numbers with the Xtender’s ranges and the switches, all translated', () => {
    const entities = manager.get('studer')?.description?.entities ?? [];
    const declared = new Map(entities.map((e) => [e.key, mapEntity(e).declaration]));
    expect(declared.get('ac_input_current_limit')).toMatchObject({
      platform: 'number',
      translation_key: 'ac_input_current_limit',
      device_class: 'current',
      unit: 'A',
      min: 2,
      max: 50,
      step: 1,
      entity_category: 'config',
      command: { command: 'device_command', field: 'amps', fixed: { name: 'set_ac_input_current_limit' } },
    });
    expect(declared.get('charger_current')).toMatchObject({ platform: 'number', min: 0, max: 100, unit: 'A' });
    expect(declared.get('inverter_allowed')).toMatchObject({
      platform: 'switch',
      command: { command: 'device_command', field: 'on', fixed: { name: 'set_inverter_allowed' } },
    });
    expect(declared.get('charger_allowed')?.platform).toBe('switch');
    for (const e of entities) {
      const table: Record<string, unknown> = ENTITY_TRANSLATIONS[e.platform];
      expect([e.key, e.platform, table[e.translationKey] !== undefined]).toEqual([e.key, e.platform, true]);
    }
  });

  it('number and switch actions write the parameter through the guard', async () => {
    await expect(action('ac_input_current_limit', 'number', 'set_value', 20)).resolves.toEqual({ state: 20 });
    expect(sim.simulator.parameter(1107)?.flash).toBe(20);
    await expect(action('charger_allowed', 'switch', 'turn_off', false)).resolves.toEqual({ state: false });
    expect(sim.simulator.parameter(1125)?.flash).toBe(0);
    await action('charger_allowed', 'switch', 'turn_on', true);
    expect(sim.simulator.parameter(1125)?.flash).toBe(1);
    await action('charger_current', 'number', 'set_value', 50);
    expect(sim.simulator.parameter(1138)?.flash).toBe(50);
  });

  it("the guard's limit and the device's refusal are HA service errors with the reason", async () => {
    const writes = sim.simulator.stats.flashWrites;
    const limit = await action('charger_current', 'number', 'set_value', 51).catch((e: unknown) => e);
    expect(limit).toBeInstanceOf(HaActionError);
    expect((limit as Error).message).toBe(
      'amps: 51 A × 48 V = 2448 W exceeds the maximum charge power of 2400 W (at most 50 A)',
    );
    const refused = await action('ac_input_current_limit', 'number', 'set_value', 60).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HaActionError);
    expect((refused as Error).message).toBe("rejected: parameter 1107: 60 is outside the Xtender's range 2..50");
    expect(sim.simulator.stats.flashWrites).toBe(writes);
  });
});
