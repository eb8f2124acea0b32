import { PowerStationComposite } from './composite.js';
import type { PowerStationOptions } from './options.js';

/**
 * What the add-on calls for a device entry `driver: station`: the members are adapters it has
 * already built from their own entries (`station: <name>`, `p1: <name>` …). Throws an Error naming
 * the field when a setting is out of range.
 */
export function createPowerStation(options: PowerStationOptions): PowerStationComposite {
  return new PowerStationComposite(options);
}
