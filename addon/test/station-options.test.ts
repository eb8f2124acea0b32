import { builtInDrivers } from '../src/drivers';
import { parseOptions } from '../src/options';

/** `driver: station` entries: the members are other entries, named; errors name the field. */

const members = [
  { name: 'Bluetti AC180', driver: 'bluetti', address: 'AA:BB:CC:DD:EE:FF' },
  { name: 'Station charger', driver: 'shelly', host: '192.168.1.31' },
  { name: 'House loads', driver: 'shelly', host: '192.168.1.32' },
  { name: 'PV sensor', driver: 'ina260', bus: 'memory' },
];
const station = {
  name: 'Station',
  driver: 'station',
  station: 'Bluetti AC180',
  p1: 'Station charger',
  p2: 'House loads',
  p4: 'PV sensor',
  charge_power_w: 950,
};

function errorOf(devices: unknown[]): string {
  try {
    parseOptions({ devices }, builtInDrivers);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected the options to be refused');
}

describe('station device entries', () => {
  it('resolve the names of the member entries to their device ids', () => {
    const config = parseOptions({ devices: [...members, station] }, builtInDrivers);
    expect(config.devices[4]?.members).toEqual({
      station: 'bluetti_ac180',
      p1: 'station_charger',
      p2: 'house_loads',
      p4: 'pv_sensor',
    });
    expect(config.devices[1]?.members).toBeUndefined();
  });

  it('take "station" at P1/P3 as the station\'s own switch, not as a device name', () => {
    const config = parseOptions(
      { devices: [...members, { ...station, p1: 'station', p3: 'Station' }] },
      builtInDrivers,
    );
    expect(config.devices[4]?.members).toEqual({ station: 'bluetti_ac180', p2: 'house_loads', p4: 'pv_sensor' });
  });

  it('refuse a name no entry has, naming the field', () => {
    expect(errorOf([...members, { ...station, p1: 'Charger' }])).toBe(
      'devices[4].p1: no configured device is named "Charger"',
    );
  });

  it('refuse an entry naming itself', () => {
    expect(errorOf([...members, { ...station, p2: 'Station' }])).toBe('devices[4].p2: "Station" is this entry itself');
  });

  it('refuse entries naming each other in a cycle', () => {
    const a = { ...station, name: 'A', station: 'B' };
    const b = { ...station, name: 'B', station: 'A' };
    expect(errorOf([...members, a, b])).toBe(
      'devices[5].station: device entries name each other in a cycle (a → b → a)',
    );
  });

  it('refuse a missing charging power and unknown fields, naming them', () => {
    const { charge_power_w: _c, ...noPower } = station;
    expect(errorOf([...members, noPower])).toBe('devices[4].charge_power_w: is required');
    expect(errorOf([...members, { ...station, host: 'x' }])).toBe('devices[4].host: unknown field');
    expect(errorOf([...members, { ...station, p1_channel: 99 }])).toBe(
      'devices[4].p1_channel: expected an integer between 0 and 15',
    );
  });
});
