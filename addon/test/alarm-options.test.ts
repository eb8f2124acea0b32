import { builtInDrivers } from '../src/drivers';
import { OptionsError, parseOptions } from '../src/options';

/** The `alarms` and `heavy_load_alarms` options: the defaults, and errors that name the field. */

const devices = [
  { name: 'Inverter', driver: 'sungrow-sh', host: '192.168.1.20' },
  { name: 'Pump relay', driver: 'shelly', host: '192.168.1.40' },
];

function errorOf(options: Record<string, unknown>): string {
  try {
    parseOptions({ devices, ...options }, builtInDrivers);
  } catch (err) {
    if (err instanceof OptionsError) return err.message;
    throw err;
  }
  throw new Error('expected the options to be refused');
}

describe('alarm options', () => {
  it('turns every default rule on with no notify service and a 15-minute cooldown', () => {
    const { alarms } = parseOptions({ devices }, builtInDrivers);
    expect(alarms.notify).toEqual([]);
    expect(alarms.cooldownMs).toBe(15 * 60_000);
    expect(alarms.rules).toEqual([
      { id: 'battery_alarm', kind: 'battery_alarm', delayMs: 0 },
      { id: 'low_soc', kind: 'low_soc', thresholdPct: 20, hysteresisPct: 2, delayMs: 0 },
      { id: 'device_unavailable', kind: 'device_unavailable', delayMs: 10 * 60_000 },
      { id: 'transfer_relay_open', kind: 'transfer_relay_open', delayMs: 0 },
    ]);
  });

  it('leaves the AC-source rule off in an off-grid house unless asked for (no AC source is its normal state)', () => {
    const offGrid = (alarms: Record<string, unknown>) =>
      parseOptions({ devices, optimizer: { grid: 'none' }, alarms }, builtInDrivers).alarms.rules.map((r) => r.id);
    expect(offGrid({})).not.toContain('transfer_relay_open');
    expect(offGrid({ transfer_relay_open: true })).toContain('transfer_relay_open');
  });

  it('reads edited rules, device lists, notify services and heavy loads', () => {
    const { alarms } = parseOptions(
      {
        devices,
        alarms: {
          notify: ['notify.mobile_app_pixel', ' notify.telegram '],
          cooldown_min: 0.5,
          battery_alarm: false,
          transfer_relay_open: false,
          low_soc_pct: 15,
          low_soc_devices: ['Inverter'],
          device_unavailable_min: 2.5,
        },
        heavy_load_alarms: [{ name: 'Well pump left on', device: 'Pump relay', above_w: 1500, minutes: 120 }],
      },
      builtInDrivers,
    );
    expect(alarms.notify).toEqual(['mobile_app_pixel', 'telegram']);
    expect(alarms.cooldownMs).toBe(30_000);
    expect(alarms.rules).toEqual([
      { id: 'low_soc', kind: 'low_soc', thresholdPct: 15, hysteresisPct: 2, delayMs: 0, devices: ['inverter'] },
      { id: 'device_unavailable', kind: 'device_unavailable', delayMs: 150_000 },
      {
        id: 'heavy_load_well_pump_left_on',
        kind: 'heavy_load',
        name: 'Well pump left on',
        devices: ['pump_relay'],
        reading: 'load_power',
        thresholdW: 1500,
        hysteresisW: 150,
        delayMs: 120 * 60_000,
      },
    ]);
  });

  it('names the field of a bad value', () => {
    expect(errorOf({ alarms: { notify: ['light.kitchen'] } })).toBe(
      'alarms.notify[0]: expected a notify service such as notify.mobile_app_pixel',
    );
    expect(errorOf({ alarms: { notify: 'notify.telegram' } })).toBe(
      'alarms.notify: expected a list of notify services',
    );
    expect(errorOf({ alarms: { low_soc_pct: 120 } })).toBe('alarms.low_soc_pct: expected a number between 0 and 100');
    expect(errorOf({ alarms: { low_soc: 'yes' } })).toBe('alarms.low_soc: expected true or false');
    expect(errorOf({ alarms: { cooldown: 5 } })).toBe('alarms.cooldown: unknown field');
    expect(errorOf({ alarms: { device_unavailable_devices: ['Inverter', 'Battery'] } })).toBe(
      'alarms.device_unavailable_devices[1]: no configured device is named "Battery"',
    );
    expect(errorOf({ heavy_load_alarms: [{ name: 'Pump', device: 'Pump relay', minutes: 5 }] })).toBe(
      'heavy_load_alarms[0].above_w: is required',
    );
    expect(errorOf({ heavy_load_alarms: [{ name: 'Pump', device: 'Pool', above_w: 100, minutes: 5 }] })).toBe(
      'heavy_load_alarms[0].device: no configured device is named "Pool"',
    );
    expect(
      errorOf({
        heavy_load_alarms: [{ name: 'Pump', device: 'Pump relay', above_w: 100, minutes: 5, hysteresis_w: 100 }],
      }),
    ).toBe('heavy_load_alarms[0].hysteresis_w: must be below above_w (100 W)');
    expect(
      errorOf({
        heavy_load_alarms: [
          { name: 'Pump on', device: 'Pump relay', above_w: 100, minutes: 5 },
          { name: 'Pump  on', device: 'Inverter', above_w: 100, minutes: 5 },
        ],
      }),
    ).toBe('heavy_load_alarms[1].name: "Pump  on" gives the same alarm as heavy_load_alarms[0]');
  });
});
