import { TRANSLATION_KEY_PATTERN, type DeviceInfo, type EntityDescriptor } from '@sps/core';
import type { BridgeDevice } from '@sps/ha';
import { z } from 'zod';
import type { DeviceManager } from '../device-manager.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';

export const CATALOGUE_NAMESPACE = 'ha';
export const CATALOGUE_KEY = 'declared_devices';

const scalar = z.union([z.number(), z.string(), z.boolean()]);
const Entity = z.object({
  key: z.string().min(1),
  platform: z.enum(['sensor', 'binary_sensor', 'switch', 'number', 'select', 'button']),
  // A description stored before translation keys existed has none: its own key is the best guess
  // (true for every canonical reading); the device's next answer replaces it with the real one.
  translationKey: z.string().regex(TRANSLATION_KEY_PATTERN).optional(),
  translationPlaceholders: z.record(z.string(), z.string()).optional(),
  name: z.string(),
  deviceClass: z.string().optional(),
  stateClass: z.enum(['measurement', 'total', 'total_increasing']).optional(),
  unit: z.string().optional(),
  icon: z.string().optional(),
  entityCategory: z.enum(['config', 'diagnostic']).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().optional(),
  mode: z.enum(['auto', 'box', 'slider']).optional(),
  options: z.array(z.string()).optional(),
  suggestedDisplayPrecision: z.number().optional(),
  enabledByDefault: z.boolean().optional(),
  command: z
    .object({
      command: z.string(),
      field: z.string().optional(),
      fixed: z.record(z.string(), scalar).optional(),
    })
    .optional(),
});
const Info = z.object({
  manufacturer: z.string(),
  model: z.string(),
  serial: z.string().min(1),
  firmware: z.string().optional(),
  hardware: z.string().optional(),
});
const Catalogue = z.record(z.string(), z.object({ info: Info, entities: z.array(Entity) }));

interface KnownDevice {
  readonly info: DeviceInfo;
  readonly entities: readonly EntityDescriptor[];
}

/**
 * What HA should show for every configured device. A device's identity and entities are only
 * known once it has answered, and a declaration always replaces the whole set in HA — so a
 * device that is offline when the add-on starts would vanish from HA, taking the user's
 * entity names and areas with it. The last description of each device is therefore kept in
 * the store and declared until the device answers again.
 */
export class DeviceCatalogue {
  private readonly known = new Map<string, KnownDevice>();

  constructor(
    private readonly manager: DeviceManager,
    private readonly store: StateStore,
    private readonly configurationUrl: string | undefined,
    private readonly logger: Logger,
  ) {
    let stored: unknown;
    try {
      stored = store.getState(CATALOGUE_NAMESPACE, CATALOGUE_KEY);
    } catch (err) {
      logger.warn({ err }, 'cannot read the last device declarations');
    }
    const parsed = Catalogue.safeParse(stored ?? {});
    if (!parsed.success) {
      logger.warn({ reason: parsed.error.issues[0]?.message }, 'ignoring unreadable device declarations');
      return;
    }
    for (const [id, device] of Object.entries(parsed.data)) {
      // Only devices still configured; a removed one must disappear from HA.
      if (!manager.get(id)) continue;
      const entities = device.entities.map((e) => ({ ...e, translationKey: e.translationKey ?? e.key }));
      this.known.set(id, { ...device, entities } as KnownDevice);
    }
  }

  /**
   * Take the devices' current descriptions in. True when anything changed (first answer,
   * new firmware, different limits), i.e. HA needs a new declaration.
   */
  refresh(): boolean {
    let changed = false;
    for (const runner of this.manager.list()) {
      const description = runner.description;
      if (!description) continue;
      const next: KnownDevice = { info: description.info, entities: description.entities };
      const previous = this.known.get(runner.config.id);
      if (previous && JSON.stringify(previous) === JSON.stringify(next)) continue;
      this.known.set(runner.config.id, next);
      changed = true;
    }
    if (changed) this.persist();
    return changed;
  }

  get size(): number {
    return this.known.size;
  }

  /** The entity descriptor an HA action refers to (current description first, then the cached one). */
  entity(deviceId: string, key: string): EntityDescriptor | undefined {
    const entities = this.manager.get(deviceId)?.description?.entities ?? this.known.get(deviceId)?.entities;
    return entities?.find((e) => e.key === key);
  }

  /**
   * Every configured device HA can be told about, in the options' order. HA knows a device by its
   * serial (its identifier, and the stem of every entity's unique id): a second device reporting a
   * serial already taken — the same inverter configured twice — would be merged into the first and
   * its entities would clash, so it is left out, with an error in the log naming both.
   */
  bridgeDevices(): BridgeDevice[] {
    const devices: BridgeDevice[] = [];
    const bySerial = new Map<string, string>();
    for (const runner of this.manager.list()) {
      const known = this.known.get(runner.config.id);
      if (!known) continue;
      const taken = bySerial.get(known.info.serial);
      if (taken !== undefined) {
        this.reportDuplicate(runner.config.id, taken, known.info.serial);
        continue;
      }
      bySerial.set(known.info.serial, runner.config.id);
      devices.push({
        id: runner.config.id,
        name: runner.config.name,
        info: known.info,
        entities: known.entities,
        ...(this.configurationUrl === undefined ? {} : { configurationUrl: this.configurationUrl }),
        // Where the device sits around the transfer switch (P1–P4), on every entity's state.
        ...(runner.config.position === undefined ? {} : { attributes: { position: runner.config.position } }),
      });
    }
    return devices;
  }

  private readonly reportedDuplicates = new Set<string>();

  private reportDuplicate(id: string, first: string, serial: string): void {
    if (this.reportedDuplicates.has(id)) return;
    this.reportedDuplicates.add(id);
    this.logger.error(
      { device: id, same_as: first, serial },
      `device ${id} reports serial ${serial}, as ${first} does: it is not shown in Home Assistant (is it configured twice?)`,
    );
  }

  private persist(): void {
    try {
      this.store.putState(CATALOGUE_NAMESPACE, CATALOGUE_KEY, Object.fromEntries(this.known));
    } catch (err) {
      this.logger.warn({ err }, 'cannot persist device declarations');
    }
  }
}
