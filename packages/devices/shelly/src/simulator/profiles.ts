import type { ShellyGeneration } from '../codec/device-info.js';

/**
 * Devices the simulator can play. Model codes, app names and id prefixes are facts from real
 * devices (aioshelly fixtures/ and tests/rpc_device/fixtures/, HA core shelly fixtures; §2.4
 * of device-protocols.md); the app name of the Pro EM-50 is the one the aioshelly model
 * table pairs with SPEM-002CEBEU50.
 */
export interface ShellyProfile {
  readonly generation: ShellyGeneration;
  readonly model: string;
  /** Gen2+ `app`; Gen1 has none. */
  readonly app: string | null;
  /** Gen2+ device id prefix (id = `<prefix>-<mac lower-case>`), Gen1 hostname prefix. */
  readonly idPrefix: string;
  readonly relays: number;
  /** Relays measure power/voltage/current/energy. */
  readonly metered: boolean;
  readonly meter: 'three_phase' | 'single_phase' | null;
  /** CT channels of a single-phase meter. */
  readonly meterChannels: number;
}

export const SHELLY_PROFILES = {
  'plus-plug-s': {
    generation: 2,
    model: 'SNPL-00112EU',
    app: 'PlusPlugS',
    idPrefix: 'shellyplusplugs',
    relays: 1,
    metered: true,
    meter: null,
    meterChannels: 0,
  },
  'pro-4pm': {
    generation: 2,
    model: 'SPSW-004PE16EU',
    app: 'Pro4PM',
    idPrefix: 'shellypro4pm',
    relays: 4,
    metered: true,
    meter: null,
    meterChannels: 0,
  },
  '2pm-gen3': {
    generation: 3,
    model: 'S3SW-002P16EU',
    app: 'S2PMG3',
    idPrefix: 'shelly2pmg3',
    relays: 2,
    metered: true,
    meter: null,
    meterChannels: 0,
  },
  'mini-1-gen4': {
    generation: 4,
    model: 'S4SW-001X8EU',
    app: 'Mini1G4ZB',
    idPrefix: 'shelly1minig4',
    relays: 1,
    metered: false,
    meter: null,
    meterChannels: 0,
  },
  'pro-3em': {
    generation: 2,
    model: 'SPEM-003CEBEU',
    app: 'Pro3EM',
    idPrefix: 'shellypro3em',
    relays: 0,
    metered: false,
    meter: 'three_phase',
    meterChannels: 3,
  },
  'pro-em-50': {
    generation: 2,
    model: 'SPEM-002CEBEU50',
    app: 'ProEM50',
    idPrefix: 'shellyproem50',
    relays: 1,
    metered: false,
    meter: 'single_phase',
    meterChannels: 2,
  },
  'plug-s': {
    generation: 1,
    model: 'SHPLG-S',
    app: null,
    idPrefix: 'shellyplug-s',
    relays: 1,
    metered: true,
    meter: null,
    meterChannels: 0,
  },
  '2.5': {
    generation: 1,
    model: 'SHSW-25',
    app: null,
    idPrefix: 'shellyswitch25',
    relays: 2,
    metered: true,
    meter: null,
    meterChannels: 0,
  },
  '3em': {
    generation: 1,
    model: 'SHEM-3',
    app: null,
    idPrefix: 'shellyem3',
    relays: 1,
    metered: false,
    meter: 'three_phase',
    meterChannels: 3,
  },
  em: {
    generation: 1,
    model: 'SHEM',
    app: null,
    idPrefix: 'shellyem',
    relays: 1,
    metered: false,
    meter: 'single_phase',
    meterChannels: 2,
  },
} as const satisfies Record<string, ShellyProfile>;

export type ShellyProfileName = keyof typeof SHELLY_PROFILES;
