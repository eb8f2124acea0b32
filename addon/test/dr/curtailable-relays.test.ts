import type { DeviceManager } from '../../src/device-manager';
import { curtailableRelays } from '../../src/dr/curtailable-relays';
import { ReadingHub } from '../../src/hub';
import type { DeviceConfig } from '../../src/options';

const device = (id: string, extra: Partial<DeviceConfig> = {}): DeviceConfig => ({
  id,
  name: id,
  driver: 'shelly',
  pollIntervalMs: 1000,
  pollIntervalRaised: false,
  fields: {},
  ...extra,
});

describe('curtailableRelays', () => {
  const devices = [
    device('dishwasher', { position: 'P4' }),
    device('pool_pump'),
    device('charger', { position: 'P1' }),
    device('station', { driver: 'station', members: { p1: 'charger' } }),
  ];
  const executed: { id: string; command: unknown }[] = [];
  const manager = {
    execute: async (id: string, command: unknown) => {
      executed.push({ id, command });
      return {};
    },
  } as unknown as DeviceManager;

  it('takes positions and device ids, never a composite or its members', () => {
    const hub = new ReadingHub();
    const ids = curtailableRelays(['P4', 'pool_pump', 'P1', 'station'], devices, manager, hub).map((r) => r.id);
    expect(ids).toEqual(['dishwasher', 'pool_pump']);
  });

  it('reads the relay state and load live, and switches through the device manager', async () => {
    const hub = new ReadingHub();
    const [relay] = curtailableRelays(['P4'], devices, manager, hub);
    expect(relay?.isOn()).toBeUndefined();
    expect(relay?.powerW).toBeUndefined();
    hub.publishReadings('dishwasher', { timestamp: 1, values: { switch_0: true, power_0: 1800 } });
    expect(relay?.isOn()).toBe(true);
    expect(relay?.powerW).toBe(1800);
    await relay?.switchOff();
    await relay?.switchOn();
    expect(executed).toEqual([
      { id: 'dishwasher', command: { type: 'set_relay', on: false } },
      { id: 'dishwasher', command: { type: 'set_relay', on: true } },
    ]);
  });
});
