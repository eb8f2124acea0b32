import { canonicalSensor, type EntityDescriptor } from '@sps/core';
import { mapDevice, mapEntity, toHaState, withoutTranslationKeys } from '../src/index.js';

describe('entity mapping', () => {
  it('declares energy counters in kWh as total_increasing and scales Wh values', () => {
    const mapped = mapEntity(canonicalSensor('pv_energy'));
    expect(mapped.declaration).toMatchObject({
      key: 'pv_energy',
      platform: 'sensor',
      translation_key: 'pv_energy',
      device_class: 'energy',
      state_class: 'total_increasing',
      unit: 'kWh',
    });
    expect(mapped.throttled).toBe(true);
    expect(toHaState(mapped, 1234567)).toBe(1234.567);
    expect(toHaState(mapped, 0.1 + 0.2)).toBe(0.0003);
    expect(toHaState(mapped, null)).toBeNull();
    expect(toHaState(mapped, Number.NaN)).toBeNull();
  });

  it('keeps power in W as a measurement and controls unthrottled', () => {
    const power = mapEntity(canonicalSensor('grid_power'));
    expect(power.declaration).toMatchObject({ unit: 'W', state_class: 'measurement', device_class: 'power' });
    expect(toHaState(power, -1500)).toBe(-1500);
    const reserve: EntityDescriptor = {
      key: 'backup_reserve',
      platform: 'number',
      translationKey: 'backup_reserve',
      name: 'Backup reserve',
      unit: '%',
      min: 0,
      max: 100,
      step: 1,
      mode: 'slider',
      entityCategory: 'config',
      command: { command: 'set_backup_reserve', field: 'percent' },
    };
    const mapped = mapEntity(reserve);
    expect(mapped.throttled).toBe(false);
    expect(mapped.declaration).toEqual({
      key: 'backup_reserve',
      platform: 'number',
      translation_key: 'backup_reserve',
      name: 'Backup reserve',
      unit: '%',
      min: 0,
      max: 100,
      step: 1,
      mode: 'slider',
      entity_category: 'config',
      command: { command: 'set_backup_reserve', field: 'percent' },
    });
  });

  it('carries the translation key and the placeholders of the translated name', () => {
    const relay: EntityDescriptor = {
      key: 'switch_1',
      platform: 'switch',
      translationKey: 'relay_channel',
      translationPlaceholders: { channel: '1' },
      name: 'Relay (channel 1)',
    };
    const { declaration } = mapEntity(relay);
    expect(declaration).toMatchObject({
      translation_key: 'relay_channel',
      translation_placeholders: { channel: '1' },
      name: 'Relay (channel 1)',
    });
    const device = mapDevice({ id: 'd', info: { manufacturer: 'm', model: 'x', serial: 's' }, entities: [relay] });
    const plain = withoutTranslationKeys(device.declaration);
    expect(plain.entities[0]).toEqual({ key: 'switch_1', platform: 'switch', name: 'Relay (channel 1)' });
    // The original declaration is left alone.
    expect(device.declaration.entities[0]).toHaveProperty('translation_key', 'relay_channel');
  });

  it('maps device info to the declaration', () => {
    const { declaration, entities } = mapDevice({
      id: 'sungrow-1',
      info: { manufacturer: 'Sungrow', model: 'SH10RT', serial: 'A1', firmware: 'v1' },
      entities: [canonicalSensor('battery_soc')],
      configurationUrl: 'homeassistant://hassio/ingress/smart_power_station',
    });
    expect(declaration).toMatchObject({ id: 'sungrow-1', manufacturer: 'Sungrow', serial: 'A1', firmware: 'v1' });
    expect(declaration.configuration_url).toBe('homeassistant://hassio/ingress/smart_power_station');
    expect(entities.get('battery_soc')?.declaration.unit).toBe('%');
  });
});
