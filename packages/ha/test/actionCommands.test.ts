import { ActionInputError, entityActionToCommand, serviceToCommand, type ServiceAction } from '../src/index.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const service = (name: string, data: Record<string, unknown>): ServiceAction => ({
  type: 'action',
  request_id: 'r1',
  kind: 'service',
  service: name,
  device_id: 'inv',
  data,
});

describe('serviceToCommand', () => {
  it('turns force_charge into a timed command in W', () => {
    expect(serviceToCommand(service('force_charge', { duration_minutes: 90, power_kw: 3.5 }), NOW)).toEqual({
      kind: 'command',
      command: { type: 'force_charge', power_w: 3500, until: '2026-01-01T13:30:00.000Z' },
    });
  });

  it('falls back to the device maximum, or names the missing field', () => {
    const cmd = serviceToCommand(service('force_discharge', { duration_minutes: 10 }), NOW, { maxDischargeW: 5000 });
    expect(cmd).toMatchObject({ command: { type: 'force_discharge', power_w: 5000 } });
    expect(() => serviceToCommand(service('force_charge', { duration_minutes: 10 }), NOW)).toThrow(
      /force_charge\.power_kw/,
    );
  });

  it('maps rates, limits, reserve, restore and sync', () => {
    expect(serviceToCommand(service('set_charge_rate', { kw: 2.5 }), NOW)).toMatchObject({
      command: { type: 'set_charge_limit', power_w: 2500 },
    });
    expect(serviceToCommand(service('set_discharge_rate', { kw: 1 }), NOW)).toMatchObject({
      command: { type: 'set_discharge_limit', power_w: 1000 },
    });
    expect(serviceToCommand(service('set_export_limit', { watts: 4000 }), NOW)).toMatchObject({
      command: { type: 'set_export_limit', power_w: 4000 },
    });
    expect(serviceToCommand(service('set_backup_reserve', { percent: 20 }), NOW)).toMatchObject({
      command: { type: 'set_backup_reserve', percent: 20 },
    });
    expect(serviceToCommand(service('restore_normal', {}), NOW)).toMatchObject({ command: { type: 'restore_normal' } });
    expect(serviceToCommand(service('sync_now', {}), NOW)).toEqual({ kind: 'sync' });
  });

  it('re-validates fields and names them', () => {
    expect(() => serviceToCommand(service('set_backup_reserve', { percent: 150 }), NOW)).toThrow(
      /set_backup_reserve\.percent/,
    );
    expect(() => serviceToCommand(service('force_charge', { duration_minutes: 'soon' }), NOW)).toThrow(
      ActionInputError,
    );
    expect(() => serviceToCommand(service('explode', {}), NOW)).toThrow(/unknown service/);
  });
});

describe('entityActionToCommand', () => {
  const base = { type: 'action', request_id: 'r', kind: 'entity', device_id: 'inv' } as const;

  it('uses the binding field and fixed values', () => {
    expect(
      entityActionToCommand(
        { ...base, action: 'turn_on', key: 'relay_2', platform: 'switch', value: true },
        {
          key: 'relay_2',
          platform: 'switch',
          translationKey: 'relay',
          name: 'Relay 2',
          command: { command: 'set_relay', field: 'on', fixed: { channel: 2 } },
        },
      ),
    ).toEqual({ type: 'set_relay', on: true, channel: 2 });
    expect(
      entityActionToCommand(
        { ...base, action: 'press', key: 'normal', platform: 'button' },
        {
          key: 'normal',
          platform: 'button',
          translationKey: 'restore_normal',
          name: 'Normal',
          command: { command: 'restore_normal' },
        },
      ),
    ).toEqual({ type: 'restore_normal' });
  });

  it('refuses values the command schema rejects, naming the entity', () => {
    expect(() =>
      entityActionToCommand(
        { ...base, action: 'set_value', key: 'backup_reserve', platform: 'number', value: 101 },
        {
          key: 'backup_reserve',
          platform: 'number',
          translationKey: 'backup_reserve',
          name: 'R',
          command: { command: 'set_backup_reserve', field: 'percent' },
        },
      ),
    ).toThrow(/backup_reserve\.percent/);
    expect(() =>
      entityActionToCommand(
        { ...base, action: 'press', key: 'x', platform: 'button' },
        { key: 'x', platform: 'button', translationKey: 'restore_normal', name: 'X' },
      ),
    ).toThrow(/no command binding/);
  });
});
