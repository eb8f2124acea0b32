import { builtInDrivers } from '../src/drivers';
import { OptionsError, parseOptions } from '../src/options';

const device = { name: 'Home Battery', driver: 'sungrow-sh', host: '127.0.0.1' };

describe('the optimizer option', () => {
  it('defaults to on, goal cost, the first force-chargeable battery, 0.95/0.95 and no cycle cost', () => {
    expect(parseOptions({}, builtInDrivers).optimizer).toEqual({
      enabled: true,
      goal: 'cost',
      chargeEfficiency: 0.95,
      dischargeEfficiency: 0.95,
      cycleCostPerKwh: 0,
      grid: 'on',
      floorSocPct: 10,
    });
  });

  it('takes every field, with the battery named as in devices and the capacity in kWh', () => {
    const config = parseOptions(
      {
        devices: [device],
        optimizer: {
          enabled: false,
          goal: 'self_consumption',
          battery_device: 'Home Battery',
          capacity_kwh: 9.6,
          charge_efficiency: 0.9,
          discharge_efficiency: 0.92,
          cycle_cost_per_kwh: 0.05,
        },
      },
      builtInDrivers,
    );
    expect(config.optimizer).toEqual({
      enabled: false,
      goal: 'self_consumption',
      // The deprecated one-battery form is a one-element list.
      batteryDevices: ['home_battery'],
      capacityWh: 9600,
      chargeEfficiency: 0.9,
      dischargeEfficiency: 0.92,
      cycleCostPerKwh: 0.05,
      grid: 'on',
      floorSocPct: 10,
    });
  });

  it('takes grid none (off-grid) and its floor; a bad grid value names the field', () => {
    const config = parseOptions({ optimizer: { grid: 'none', floor_soc_pct: 5 } }, builtInDrivers);
    expect(config.optimizer).toMatchObject({ grid: 'none', floorSocPct: 5 });
    expect(() => parseOptions({ optimizer: { grid: 'off' } }, builtInDrivers)).toThrow(/optimizer\.grid/);
  });

  it('takes battery_devices, a list of device names, in order and without repeats', () => {
    const config = parseOptions(
      {
        devices: [device, { name: 'Garage Station', driver: 'sungrow-sh', host: '127.0.0.2' }],
        optimizer: { battery_devices: ['Garage Station', 'Home Battery', 'Garage Station'] },
      },
      builtInDrivers,
    );
    expect(config.optimizer.batteryDevices).toEqual(['garage_station', 'home_battery']);
  });

  it.each([
    [
      { battery_devices: ['Home Battery', 'Garage'] },
      /^optimizer\.battery_devices\.1: no configured device is named "Garage"/,
    ],
    [{ battery_devices: [] }, /^optimizer\.battery_devices: name at least one device/],
    [{ battery_devices: 'Home Battery' }, /^optimizer\.battery_devices: expected a list of device names/],
    [
      { battery_devices: ['Home Battery'], battery_device: 'Home Battery' },
      /^optimizer\.battery_device: use battery_devices only/,
    ],
    [{ goal: 'cheapest' }, /^optimizer\.goal: expected one of cost\|self_consumption\|off/],
    [{ charge_efficiency: 1.5 }, /^optimizer\.charge_efficiency: expected a number between 0.5 and 1/],
    [{ capacity_kwh: -1 }, /^optimizer\.capacity_kwh: /],
    [{ enabled: 'yes' }, /^optimizer\.enabled: expected true or false/],
    [{ surprise: 1 }, /^optimizer/],
    [{ battery_device: 'Garage' }, /^optimizer\.battery_device: no configured device is named "Garage"/],
  ])('rejects %j naming the field', (optimizer, message) => {
    const parse = () => parseOptions({ devices: [device], optimizer }, builtInDrivers);
    expect(parse).toThrow(OptionsError);
    expect(parse).toThrow(message);
  });
});
