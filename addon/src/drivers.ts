import type { DriverDefinition, DriverLookup } from './driver-types.js';
import { bluettiDriver } from './drivers/bluetti.js';
import { haBatteryDriver } from './drivers/ha-battery.js';
import { haEvChargerDriver } from './drivers/ha-ev-charger.js';
import { haSwitchDriver } from './drivers/ha-switch.js';
import { ina260Driver } from './drivers/ina260.js';
import { kasaDriver } from './drivers/kasa.js';
import { pylontechDriver } from './drivers/pylontech.js';
import { shellyDriver } from './drivers/shelly.js';
import { sigenergyDriver } from './drivers/sigenergy.js';
import { stationDriver } from './drivers/station.js';
import { studerDriver } from './drivers/studer.js';
import { sungrowShDriver } from './drivers/sungrow-sh.js';
import { teslemetryDriver } from './drivers/teslemetry.js';

export type {
  DriverContext,
  DriverDefinition,
  DriverLog,
  DriverLookup,
  MemberReference,
  PollIntervals,
  SimulatorHandle,
} from './driver-types.js';

/**
 * Driver name → how to validate, create, poll and simulate that kind of device.
 * Adding a device family is one module under drivers/ and one line here.
 */
export class DriverRegistry implements DriverLookup {
  private readonly byName = new Map<string, DriverDefinition>();

  constructor(definitions: readonly DriverDefinition[]) {
    for (const definition of definitions) {
      if (this.byName.has(definition.name)) throw new Error(`driver "${definition.name}" registered twice`);
      this.byName.set(definition.name, definition);
    }
  }

  get(name: string): DriverDefinition | undefined {
    return this.byName.get(name);
  }

  names(): readonly string[] {
    return [...this.byName.keys()];
  }
}

export const builtInDrivers = new DriverRegistry([
  sungrowShDriver,
  sigenergyDriver,
  shellyDriver,
  kasaDriver,
  bluettiDriver,
  ina260Driver,
  stationDriver,
  teslemetryDriver,
  haBatteryDriver,
  haEvChargerDriver,
  haSwitchDriver,
  pylontechDriver,
  studerDriver,
]);
