import type { Clock } from '@sps/core';
import { Ina260Chip } from '../simulator/ina260-chip.js';
import type { I2cBus } from './i2c-bus.js';
import { openLinuxI2cBus } from './linux-bus.js';
import { MemoryI2cBus } from './memory-bus.js';

/** Opens the bus a connection names; the adapter calls it on connect and closes what it got. */
export type BusOpener = (bus: number | 'memory', context: { address: number; clock: Clock }) => Promise<I2cBus>;

/** "memory" → an in-memory bus with a simulated INA260 and a PV panel at the address (the demo). */
export const openI2cBus: BusOpener = async (bus, { address, clock }) => {
  if (bus !== 'memory') return openLinuxI2cBus(bus);
  // The simulated sun follows the host's time zone so the demo shows daylight when people watch it.
  const utcOffsetHours = -new Date(clock.now()).getTimezoneOffset() / 60;
  return new MemoryI2cBus('memory').attach(address, new Ina260Chip({ clock, panel: { utcOffsetHours } }));
};
