import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ENTITY_TRANSLATIONS,
  TRANSLATION_KEY_PATTERN,
  entityTranslation,
  namePlaceholders,
  type EntityDescriptor,
} from '@sps/core';
import { SUPPORTED_MODEL_NAMES, bluettiEntities, findModel } from '@sps/device-bluetti';
import { ina260Entities } from '@sps/device-ina260';
import { kasaEntities, type PlugSnapshot } from '@sps/device-kasa';
import { pylontechEntities } from '@sps/device-pylontech';
import { shellyEntities, type ShellyState, type SwitchChannel } from '@sps/device-shelly';
import { sigenergyEntities } from '@sps/device-sigenergy';
import { sungrowEntities } from '@sps/device-sungrow';

/**
 * Every entity the device catalogues can declare carries a translation key the bridge names (the table
 * in packages/core/src/entity-translations.ts, from which the bridge's strings.json, translations/en.json
 * and icons.json are generated), with the placeholders its name needs and a name for every state it can
 * take. The bridge's pytest suite (integration-bridge/tests/test_translations.py) checks those files
 * against the generated list; this side checks the list is current and the catalogues stay inside it.
 */

const root = path.resolve(__dirname, '../..');

const channel = (n: number): SwitchChannel => ({
  channel: n,
  on: true,
  powerW: 1,
  voltageV: 230,
  currentA: 0.1,
  energyWh: 5,
  returnedEnergyWh: 1,
  temperatureC: 30,
});
const meterChannel = (name: string) => ({ name, powerW: 1, voltageV: 230, currentA: 1, importWh: 2, exportWh: 3 });
const shellyStates: [string, ShellyState, readonly number[] | null][] = [
  ['one relay', { switches: [channel(0)], meter: null }, null],
  ['two relays', { switches: [channel(0), channel(1)], meter: null }, null],
  [
    'a three-phase meter',
    {
      switches: [],
      meter: {
        layout: 'three_phase',
        powerW: 1,
        importWh: 1,
        exportWh: 1,
        channels: ['a', 'b', 'c'].map(meterChannel),
      },
    },
    null,
  ],
  [
    'a single-phase meter',
    {
      switches: [],
      meter: { layout: 'single_phase', powerW: 1, importWh: 1, exportWh: 1, channels: ['0', '1'].map(meterChannel) },
    },
    null,
  ],
];
const plug: PlugSnapshot = {
  identity: {
    dialect: 'iot',
    model: 'HS110(EU)',
    serial: 'X',
    mac: null,
    firmware: null,
    hardware: null,
    alias: null,
    hasMeterFeature: true,
  },
  relayOn: true,
  onTimeS: 1,
  rssiDbm: -50,
  meter: { powerW: 1, voltageV: 230, currentA: 0.1, energyWh: 1, energyTodayWh: 1, energyMonthWh: 1 },
};

const catalogues: [string, EntityDescriptor[]][] = [
  ...SUPPORTED_MODEL_NAMES.map((name): [string, EntityDescriptor[]] => [
    `Bluetti ${name}`,
    bluettiEntities(findModel(name)!),
  ]),
  ['Sungrow SH', sungrowEntities({})],
  ['Sigenergy SigenStor', sigenergyEntities({})],
  ['Kasa plug with a meter', kasaEntities(plug)],
  ['INA260', ina260Entities()],
  ['Pylontech-protocol BMS', pylontechEntities()],
  ...shellyStates.map(([what, state, channels]): [string, EntityDescriptor[]] => [
    `Shelly with ${what}`,
    shellyEntities(state, channels),
  ]),
];

describe('entity translation keys', () => {
  it.each(catalogues)('%s: every entity has a translation key the bridge names', (_what, entities) => {
    expect(entities.length).toBeGreaterThan(0);
    for (const entity of entities) {
      const where = `${entity.platform}.${entity.key} (translation key ${entity.translationKey})`;
      const translation = entityTranslation(entity.platform, entity.translationKey);
      expect({ where, known: translation !== undefined }).toEqual({ where, known: true });
      const needed = namePlaceholders(translation!.name).sort();
      expect({ where, placeholders: Object.keys(entity.translationPlaceholders ?? {}).sort() }).toEqual({
        where,
        placeholders: needed,
      });
      const stateful = entity.platform === 'select' || entity.deviceClass === 'enum';
      if (stateful) {
        const named = Object.keys(translation!.states ?? {});
        const unnamed = (entity.options ?? []).filter((o) => !named.includes(o));
        expect({ where, unnamed }).toEqual({ where, unnamed: [] });
      }
    }
  });

  it('keeps every key and state valid for Home Assistant (lowercase a-z, 0-9, _)', () => {
    for (const [platform, keys] of Object.entries(ENTITY_TRANSLATIONS)) {
      for (const [key, translation] of Object.entries(keys)) {
        expect({ key: `${platform}.${key}`, ok: TRANSLATION_KEY_PATTERN.test(key) }).toMatchObject({ ok: true });
        const states: Record<string, string> = 'states' in translation ? translation.states : {};
        for (const state of Object.keys(states)) expect(state).toMatch(TRANSLATION_KEY_PATTERN);
      }
    }
  });

  it("the bridge's generated strings, icons and key list match the table (scripts/bridge-translations.mjs --check)", async () => {
    const run = promisify(execFile);
    await expect(
      run(process.execPath, [path.join(root, 'scripts/bridge-translations.mjs'), '--check'], { cwd: root }),
    ).resolves.toBeDefined();
  });
});
