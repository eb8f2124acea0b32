import { builtInDrivers } from '../src/drivers';
import { parseOptions } from '../src/options';

/** The top-level `deferrable_loads` list and `optimizer.ev_charger`: defaults, and errors that name the field. */
const devices = [
  { name: 'Bluetti AC180', driver: 'bluetti', address: 'AA:BB:CC:DD:EE:FF' },
  { name: 'Station charger', driver: 'shelly', host: '192.168.1.31' },
  { name: 'House loads', driver: 'shelly', host: '192.168.1.32' },
  { name: 'Pump relay', driver: 'shelly', host: '192.168.1.33' },
  {
    name: 'Station',
    driver: 'station',
    station: 'Bluetti AC180',
    p1: 'Station charger',
    p2: 'House loads',
    charge_power_w: 950,
  },
];
const pump = { name: 'well_pump', device: 'Pump relay', power_w: 2200, run_minutes: 60 };

function errorOf(options: Record<string, unknown>): string {
  try {
    parseOptions({ devices, ...options }, builtInDrivers);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected the options to be refused');
}

describe('deferrable_loads options', () => {
  it('default to the whole day, channel 0 and no minimum on/off time', () => {
    const config = parseOptions({ devices, deferrable_loads: [pump] }, builtInDrivers);
    expect(config.deferrableLoads).toEqual([
      {
        deviceId: 'pump_relay',
        channel: 0,
        load: {
          name: 'well_pump',
          powerW: 2200,
          runMinutesPerDay: 60,
          earliestMinute: 0,
          latestMinute: 0,
          minOnMinutes: 0,
          minOffMinutes: 0,
        },
      },
    ]);
    expect(parseOptions({ devices }, builtInDrivers).deferrableLoads).toEqual([]);
  });

  it('refuse what the schema language cannot check, naming the field', () => {
    expect(errorOf({ deferrable_loads: [pump, { ...pump, power_w: 100 }] })).toMatch(
      /^deferrable_loads\[1\]\.name: "well_pump" is also deferrable_loads\[0\]/,
    );
    expect(errorOf({ deferrable_loads: [{ ...pump, device: 'Pool relay' }] })).toMatch(
      /^deferrable_loads\[0\]\.device: no configured relay device is named "Pool relay"/,
    );
    // The station's own relays move its transfer switch: not a load's relay.
    expect(errorOf({ deferrable_loads: [{ ...pump, device: 'Station charger' }] })).toMatch(
      /^deferrable_loads\[0\]\.device: /,
    );
    expect(errorOf({ deferrable_loads: [{ ...pump, run_minutes: 180, earliest: '22:00', latest: '00:00' }] })).toMatch(
      /^deferrable_loads\[0\]\.run_minutes: 180 min do not fit the window 22:00–00:00 \(120 min\)/,
    );
    expect(errorOf({ deferrable_loads: [{ ...pump, latest: '7:00' }] })).toMatch(/^deferrable_loads\[0\]\.latest: /);
    expect(errorOf({ deferrable_loads: [{ ...pump, relay: 'x' }] })).toMatch(/^deferrable_loads\[0\]/);
    expect(errorOf({ deferrable_loads: { name: 'x' } })).toMatch(/^deferrable_loads: /);
  });

  it('optimizer.ev_charger names a configured device', () => {
    expect(errorOf({ optimizer: { ev_charger: 'Wallbox' } })).toBe(
      'optimizer.ev_charger: no configured device is named "Wallbox"',
    );
    expect(parseOptions({ devices, optimizer: { ev_charger: 'Pump relay' } }, builtInDrivers).optimizer.evCharger).toBe(
      'pump_relay',
    );
  });
});
