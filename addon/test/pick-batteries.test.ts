import type { DeviceRunner } from '../src/device-runner';
import { pickBatteries } from '../src/optimizer/battery-device';

/** Just what pickBatteries reads of a runner. */
function runner(id: string, commands: string[], members?: Record<string, string>): DeviceRunner {
  return {
    config: { id, ...(members ? { members } : {}) },
    description: { capabilities: { commands } },
  } as unknown as DeviceRunner;
}

describe('the batteries the optimiser drives by default', () => {
  const bluetti = runner('bluetti', ['force_charge', 'force_discharge', 'restore_normal']);
  const p1 = runner('p1', ['set_relay']);
  const station = runner('station', ['force_charge', 'force_discharge', 'restore_normal'], {
    station: 'bluetti',
    p1: 'p1',
  });
  const sungrow = runner('sungrow', ['force_charge', 'force_discharge', 'restore_normal']);

  it('is every device that can force_charge, except a composite member (driven through the composite)', () => {
    expect(pickBatteries([bluetti, p1, station, sungrow], undefined).map((r) => r.config.id)).toEqual([
      'station',
      'sungrow',
    ]);
  });

  it('is what the options name, in their order, members included if named', () => {
    expect(pickBatteries([bluetti, station, sungrow], ['sungrow', 'bluetti']).map((r) => r.config.id)).toEqual([
      'sungrow',
      'bluetti',
    ]);
  });
});
