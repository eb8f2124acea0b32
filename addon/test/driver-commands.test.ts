import { CommandRejectedError } from '@sps/core';
import { checkDriverCommand, parseDriverCommand } from '../src/driver-commands';
import { builtInDrivers } from '../src/drivers';

/** A driver's own command against its DriverDefinition.commands schema, before the guard. */
describe('checkDriverCommand', () => {
  const studer = builtInDrivers.get('studer');
  const sungrow = builtInDrivers.get('sungrow-sh');

  const refusal = (fn: () => unknown): CommandRejectedError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof CommandRejectedError) return err;
      throw err;
    }
    throw new Error('expected a CommandRejectedError');
  };

  it('passes core commands unchanged and a valid driver command as the core envelope', () => {
    expect(checkDriverCommand(sungrow, { type: 'set_charge_limit', power_w: 100 })).toEqual({
      type: 'set_charge_limit',
      power_w: 100,
    });
    expect(
      checkDriverCommand(studer, { type: 'device_command', name: 'set_ac_input_current_limit', amps: 16 }),
    ).toEqual({ type: 'device_command', name: 'set_ac_input_current_limit', amps: 16 });
  });

  it('refuses a driver without commands, an unknown name, a bad or extra argument, naming the field', () => {
    expect(refusal(() => checkDriverCommand(sungrow, { type: 'device_command', name: 'x' })).message).toBe(
      'type: the sungrow-sh driver has no commands of its own',
    );
    expect(refusal(() => checkDriverCommand(studer, { type: 'device_command', name: 'set_turbo' })).field).toBe('name');
    const bad = refusal(() =>
      checkDriverCommand(studer, { type: 'device_command', name: 'set_charger_current', amps: 'x' }),
    );
    expect(bad.field).toBe('amps');
    const missing = refusal(() => checkDriverCommand(studer, { type: 'device_command', name: 'set_charger_allowed' }));
    expect(missing.field).toBe('on');
    const extra = refusal(() =>
      checkDriverCommand(studer, { type: 'device_command', name: 'set_charger_allowed', on: true, amps: 3 }),
    );
    expect(extra.message).toMatch(/amps/);
  });

  it('leaves input that is no command at all to the guard', () => {
    expect(parseDriverCommand(studer, { type: 'nonsense' })).toEqual({ type: 'nonsense' });
    expect(parseDriverCommand(studer, 'x')).toBe('x');
  });
});
