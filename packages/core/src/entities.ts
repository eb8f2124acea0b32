import type { CommandType } from './commands.js';
import type { EntityTranslationKey } from './entity-translations.js';
import { CANONICAL_READINGS, type CanonicalReadingKey, type SensorDeviceClass, type StateClass } from './readings.js';

/** What Home Assistant (and the web panel) will show for one reading or control. */
export type EntityPlatform = 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'button';

export type EntityCategory = 'config' | 'diagnostic';

/**
 * How an HA-side action on a control becomes a typed command.
 * `field` names the command field that receives the entity's new value
 * (number → a number, switch → a boolean, select → the option string);
 * buttons carry no value. `fixed` adds constant fields (e.g. a relay channel).
 */
export interface EntityCommandBinding {
  readonly command: CommandType;
  readonly field?: string;
  readonly fixed?: Readonly<Record<string, number | string | boolean>>;
}

export interface EntityDescriptor {
  /** Unique within the device; for stateful entities also the reading key that holds the state. */
  readonly key: string;
  readonly platform: EntityPlatform;
  /**
   * The key of the entity's name (and icon, and state names) in the bridge's translations
   * (entity-translations.ts). Required, so a new entity cannot reach HA untranslated.
   */
  readonly translationKey: EntityTranslationKey;
  /** Values for the `{placeholders}` in the translated name (e.g. a relay channel). */
  readonly translationPlaceholders?: Readonly<Record<string, string>>;
  /** English name: the web panel's label, and HA's fallback for a key the installed bridge does not know. */
  readonly name: string;
  readonly deviceClass?: SensorDeviceClass | string;
  readonly stateClass?: StateClass;
  readonly unit?: string;
  readonly icon?: string;
  readonly entityCategory?: EntityCategory;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly mode?: 'auto' | 'box' | 'slider';
  readonly options?: readonly string[];
  readonly suggestedDisplayPrecision?: number;
  readonly enabledByDefault?: boolean;
  /** Present on controls (switch, number, select, button). */
  readonly command?: EntityCommandBinding;
}

export interface DeviceInfo {
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  readonly firmware?: string;
  readonly hardware?: string;
}

/** A sensor descriptor for a canonical reading, with optional overrides. */
export function canonicalSensor(
  key: CanonicalReadingKey,
  overrides: Partial<Omit<EntityDescriptor, 'key' | 'platform'>> = {},
): EntityDescriptor {
  const spec = CANONICAL_READINGS[key];
  return {
    key,
    platform: 'sensor',
    // Every canonical reading key is a sensor translation key of its own.
    translationKey: key,
    name: spec.name,
    ...(spec.deviceClass === null ? {} : { deviceClass: spec.deviceClass }),
    ...(spec.stateClass === null ? {} : { stateClass: spec.stateClass }),
    ...(spec.unit === null ? {} : { unit: spec.unit }),
    ...('icon' in spec ? { icon: spec.icon } : {}),
    ...overrides,
  };
}
