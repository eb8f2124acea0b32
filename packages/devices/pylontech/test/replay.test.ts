import { join } from 'node:path';
import { ManualClock, type Availability } from '@sps/core';
import { PylontechAdapter, SMA_0x35A_PAIRS, BMS_FLAGS } from '@sps/device-pylontech';
import { advanceUntil, eventually, track } from './helpers';

/**
 * The real BYD Battery-Box Premium LVS capture (dfch/BydCanProtocol, MIT; see fixtures/README.md)
 * replayed through the production candump transport of @sps/can into the adapter: a compatible BMS
 * that sends the SMA-style 0x35A instead of 0x359 and a NUL-padded "BYD".
 */
const BYD_LOG = join(__dirname, 'fixtures', 'byd-premium-lvs.candump.log');

describe('candump replay of the BYD capture', () => {
  it.each([0, 1])(
    'reads the BYD at replay speed %d, then goes stale with the end of the log as reason',
    async (speed) => {
      const clock = new ManualClock('2026-06-01T10:00:00Z');
      const adapter = new PylontechAdapter({
        id: 'byd',
        connection: { transport: 'candump', file: BYD_LOG, replay_speed: speed },
        clock,
      });
      const availability: Availability[] = [];
      adapter.events.on('availability', (a) => availability.push(a));
      try {
        const connecting = track(adapter.connect());
        // The log is read from disk first (real I/O); simulated time moves only once the replay runs.
        await eventually(() => (adapter.listening || connecting.done() ? true : undefined));
        await advanceUntil(clock, connecting.done, { stepMs: 100 });
        await connecting.result;
        const { values } = await adapter.read();
        expect(values).toMatchObject({
          manufacturer: 'BYD',
          battery_soc: 67,
          battery_soh: 100,
          battery_voltage: 53.1,
          battery_current: 0.7,
          battery_temperature: 14,
          charge_voltage_limit: 58.4,
          charge_current_limit: 128,
          discharge_current_limit: 128,
          discharge_voltage_limit: 43,
          module_count: null,
        });
        for (const flag of BMS_FLAGS)
          expect([flag, values[flag]]).toEqual([flag, SMA_0x35A_PAIRS[flag] ? false : null]);
        expect(adapter.describe().info.manufacturer).toBe('BYD');
        // Victron's 0x305–0x307 and BYD's 0x35B, 0x35F, 0x37x are not BMS frames this driver reads: no errors.
        expect(adapter.frameStats.rejected).toBe(0);

        await advanceUntil(clock, () => availability.at(-1)?.available === false, { stepMs: 500 });
        expect(availability.at(-1)?.reason).toMatch(/no 0x351 \(limits\) frame for .* \(candump .*: end of the log/);
      } finally {
        await adapter.close();
      }
    },
  );
});
