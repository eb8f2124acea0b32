import type { DeviceInfo, EntityDescriptor, ReadingValue } from '@sps/core';
import type { HaDeviceDeclaration, HaEntityDeclaration, HaStateAttributes, HaStateValue } from './protocol.js';

/**
 * Maps core descriptors to what HA shows. The core keeps energy in Wh; HA's Energy
 * dashboard expects kWh, so Wh entities are declared in kWh and their values scaled here —
 * the only place a unit changes on the way to HA.
 */
export interface MappedEntity {
  readonly declaration: HaEntityDeclaration;
  /** Multiply a core value by this before HA sees it. */
  readonly scale: number;
  /** Measurements are rate-limited to one write per second; everything else goes at once. */
  readonly throttled: boolean;
}

/** A core descriptor plus what only HA needs to know about it. */
export type BridgeEntity = EntityDescriptor & {
  /** Attributes HA's recorder must not store (their entity keeps a class that excludes them). */
  readonly unrecordedAttributes?: readonly string[];
};

export function mapEntity(descriptor: BridgeEntity): MappedEntity {
  const isWh = descriptor.unit === 'Wh';
  const declaration: HaEntityDeclaration = {
    key: descriptor.key,
    platform: descriptor.platform,
    translation_key: descriptor.translationKey,
    ...(descriptor.translationPlaceholders === undefined
      ? {}
      : { translation_placeholders: { ...descriptor.translationPlaceholders } }),
    name: descriptor.name,
    ...(descriptor.deviceClass === undefined ? {} : { device_class: descriptor.deviceClass }),
    ...(descriptor.stateClass === undefined ? {} : { state_class: descriptor.stateClass }),
    ...(descriptor.unit === undefined ? {} : { unit: isWh ? 'kWh' : descriptor.unit }),
    ...(descriptor.icon === undefined ? {} : { icon: descriptor.icon }),
    ...(descriptor.entityCategory === undefined ? {} : { entity_category: descriptor.entityCategory }),
    ...(descriptor.min === undefined ? {} : { min: isWh ? descriptor.min / 1000 : descriptor.min }),
    ...(descriptor.max === undefined ? {} : { max: isWh ? descriptor.max / 1000 : descriptor.max }),
    ...(descriptor.step === undefined ? {} : { step: descriptor.step }),
    ...(descriptor.mode === undefined ? {} : { mode: descriptor.mode }),
    ...(descriptor.options === undefined ? {} : { options: [...descriptor.options] }),
    ...(descriptor.suggestedDisplayPrecision !== undefined
      ? { suggested_display_precision: descriptor.suggestedDisplayPrecision }
      : isWh
        ? { suggested_display_precision: 2 }
        : {}),
    ...(descriptor.enabledByDefault === undefined ? {} : { enabled_by_default: descriptor.enabledByDefault }),
    ...(descriptor.command === undefined
      ? {}
      : {
          command: {
            command: descriptor.command.command,
            ...(descriptor.command.field === undefined ? {} : { field: descriptor.command.field }),
            ...(descriptor.command.fixed === undefined ? {} : { fixed: { ...descriptor.command.fixed } }),
          },
        }),
    ...(descriptor.unrecordedAttributes === undefined || descriptor.unrecordedAttributes.length === 0
      ? {}
      : { unrecorded_attributes: [...descriptor.unrecordedAttributes] }),
  };
  return {
    declaration,
    scale: isWh ? 0.001 : 1,
    throttled: descriptor.platform === 'sensor' && descriptor.stateClass !== undefined,
  };
}

export function toHaState(mapped: MappedEntity, value: ReadingValue | null): HaStateValue {
  if (value === null) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    // Round away binary noise from the Wh→kWh division (1234567 Wh → 1234.567 kWh).
    return mapped.scale === 1 ? value : Math.round(value * mapped.scale * 1e6) / 1e6;
  }
  return value;
}

export interface BridgeDevice {
  /** The add-on's device id (what readings, availability and actions are keyed by). */
  readonly id: string;
  readonly name?: string;
  readonly info: DeviceInfo;
  readonly entities: readonly BridgeEntity[];
  /** Link from HA's device page, e.g. `homeassistant://hassio/ingress/<slug>` for the add-on panel. */
  readonly configurationUrl?: string;
  /** State attributes every entity of the device carries, e.g. `{ position: 'P1' }` around a transfer switch. */
  readonly attributes?: HaStateAttributes;
}

export function mapDevice(device: BridgeDevice): {
  declaration: HaDeviceDeclaration;
  entities: Map<string, MappedEntity>;
  attributes?: HaStateAttributes;
} {
  const entities = new Map(device.entities.map((e) => [e.key, mapEntity(e)] as const));
  return {
    declaration: {
      id: device.id,
      ...(device.name === undefined ? {} : { name: device.name }),
      manufacturer: device.info.manufacturer,
      model: device.info.model,
      serial: device.info.serial,
      ...(device.info.firmware === undefined ? {} : { firmware: device.info.firmware }),
      ...(device.info.hardware === undefined ? {} : { hardware: device.info.hardware }),
      ...(device.configurationUrl === undefined ? {} : { configuration_url: device.configurationUrl }),
      entities: [...entities.values()].map((m) => m.declaration),
    },
    entities,
    ...(device.attributes === undefined ? {} : { attributes: device.attributes }),
  };
}

/**
 * The declaration for a bridge without `translation_key` support (before bridge 0.2.0): its schema
 * refuses unknown fields, so the translation fields are left out and it names entities in English.
 */
export function withoutTranslationKeys(device: HaDeviceDeclaration): HaDeviceDeclaration {
  return {
    ...device,
    entities: device.entities.map((entity) => {
      const { translation_key: _key, translation_placeholders: _placeholders, ...rest } = entity;
      return rest;
    }),
  };
}
