import { DeviceError, type Clock } from '@sps/core';
import { Ina260Chip } from '../simulator/ina260-chip.js';
import { hostUtcOffsetHours } from '../simulator/ina260-simulator.js';
import { TunnelI2cBus } from '../tunnel/tunnel-bus.js';
import type { Ina260Connection } from '../connection.js';
import type { I2cBus } from './i2c-bus.js';
import { openLinuxI2cBus } from './linux-bus.js';
import { MemoryI2cBus } from './memory-bus.js';

/** What an opener may need besides the bus: the chip's address, the clock, the tunnel's end. */
export interface BusContext {
  readonly address: number;
  readonly clock: Clock;
  readonly host?: string;
  readonly port?: number;
  /** Per-transfer timeout of the tunnel, ms (the connection's timeout_ms; 1000 if absent). */
  readonly timeoutMs?: number;
}

/** Opens the bus a connection names; the adapter calls it on connect and closes what it got. */
export type BusOpener = (bus: Ina260Connection['bus'], context: BusContext) => Promise<I2cBus>;

/**
 * A number → /dev/i2c-N through the native `i2c-bus`; "memory" → an in-memory bus with a
 * simulated INA260 and a PV panel at the address (the demo); "tcp-sim" → the loopback I2C
 * tunnel to `sps simulate ina260` at host:port.
 */
export const openI2cBus: BusOpener = async (bus, { address, clock, host, port, timeoutMs }) => {
  if (bus === 'tcp-sim') {
    if (host === undefined || port === undefined) {
      throw new DeviceError('unsupported', 'bus tcp-sim needs a host and a port (of `sps simulate ina260`)');
    }
    return new TunnelI2cBus({ host, port, timeoutMs: timeoutMs ?? 1000 });
  }
  if (bus !== 'memory') return openLinuxI2cBus(bus);
  // The simulated sun follows the host's time zone so the demo shows daylight when people watch it.
  return new MemoryI2cBus('memory').attach(
    address,
    new Ina260Chip({ clock, panel: { utcOffsetHours: hostUtcOffsetHours(clock) } }),
  );
};
