import {
  TypedEmitter,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
} from '@sps/core';
import { z } from 'zod';
import { defineDriver, type DriverDefinition } from '../../src/driver-types';

/**
 * A fake HA-entity EV charger: the charger's switch, current number, plug and car SOC in memory,
 * with the real `ha-ev-charger` driver's reading and command names (ev_plugged, ev_soc,
 * ev_charging, ev_charge_limit; set_relay, set_charge_limit rounded down to whole amps), 3 × 230 V.
 */
export class FakeHaCharger implements Device {
  readonly driver = 'ha-ev-charger';
  readonly events = new TypedEmitter<DeviceEvents>();
  plugged = true;
  soc = 50;
  on = false;
  amps = 16;
  readonly commands: Command[] = [];
  constructor(
    readonly id: string,
    private readonly clock: Clock,
  ) {}
  async connect(): Promise<void> {}
  describe(): DeviceDescription {
    return {
      info: { manufacturer: 'Home Assistant', model: 'EV charger from HA entities', serial: 'ha_switch.wallbox' },
      entities: [],
      capabilities: { commands: ['set_relay', 'set_charge_limit'], limits: { maxChargeW: 3 * 230 * 16 } },
    };
  }
  async read(): Promise<ReadingSet> {
    return {
      timestamp: this.clock.now(),
      values: {
        ev_plugged: this.plugged,
        ev_soc: this.soc,
        ev_charging: this.on,
        ev_charge_current: this.amps,
        ev_charge_limit: 3 * 230 * this.amps,
      },
    };
  }
  async execute(command: Command): Promise<CommandOutcome> {
    this.commands.push(command);
    if (command.type === 'set_relay') this.on = command.on;
    if (command.type === 'set_charge_limit') this.amps = Math.min(16, Math.max(6, Math.floor(command.power_w / 690)));
    return { command, applied: {}, writes: 1 };
  }
  async close(): Promise<void> {}
}

/** A driver named `ha-ev-charger` that makes FakeHaChargers (reachable through `onCreate`). */
export function fakeEvChargerDriver(
  clock: Clock,
  onCreate: (c: FakeHaCharger) => void = () => undefined,
): DriverDefinition {
  return defineDriver({
    name: 'ha-ev-charger',
    title: 'fake HA-entity EV charger',
    fields: z.looseObject({}),
    pollIntervals: () => ({ defaultMs: 10_000, minMs: 1000 }),
    create: (id) => {
      const charger = new FakeHaCharger(id, clock);
      onCreate(charger);
      return charger;
    },
  });
}
