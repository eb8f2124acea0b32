import type { ControlledDevice } from '@sps/control';
import type { Availability, Command, CommandOutcome, DeviceCapabilities, ReadingSet } from '@sps/core';
import type { DeviceRunner } from '../device-runner.js';

/** The driver name of the power-station composite (`@sps/device-station`). */
export const STATION_DRIVER = 'station';

export function isStationRunner(runner: DeviceRunner): boolean {
  return runner.config.driver === STATION_DRIVER;
}

/**
 * The power-station composite as the controller's battery. The controller speaks in forced powers;
 * the station is switched, so its commands are mapped (station README):
 * - `force_charge` above 0 W → `force_charge` at the station's fixed grid-charging power (P1 on);
 * - `force_charge` at 0 W (the controller's "hold" for devices without a hold mode) → `restore_normal`
 *   (P1 and P3 off: the station only takes its PV, the loads stay on the grid — it holds);
 * - `force_discharge` → `force_discharge` (P3 on: the transfer switch moves P2's loads onto the
 *   station; the power is what P2 draws, not a setpoint);
 * - anything else → as is (`restore_normal`; others the composite refuses as unsupported).
 *
 * A change inside the minimum on/off time is answered `busy`: the controller keeps the target in
 * force (it counts a busy answer as no write, not as a device failure) and tries again on its next
 * tick, which is exactly "keep the current state until the switch may change"; a hand-back retries
 * with back-off until the switch may change.
 *
 * The readings the controller sees leave out `pv_power`: P4's PV feeds the station's DC input and
 * never the house bus, so it must not shrink the controller's export cap on a discharge
 * (export limit + load − PV; the station's export limit is 0 and its load is P2).
 */
export class StationBattery implements ControlledDevice {
  constructor(private readonly inner: ControlledDevice) {}

  get id(): string {
    return this.inner.id;
  }

  capabilities(): DeviceCapabilities {
    return this.inner.capabilities();
  }

  latestReadings(): ReadingSet | undefined {
    const readings = this.inner.latestReadings();
    if (!readings) return undefined;
    const { pv_power: _pv, ...values } = readings.values;
    return { ...readings, values };
  }

  availability(): Availability | undefined {
    return this.inner.availability();
  }

  execute(command: Command): Promise<CommandOutcome> {
    return this.inner.execute(stationCommandFor(command, this.inner.capabilities().limits.maxChargeW));
  }
}

/** The controller's command → the composite's (see StationBattery). */
export function stationCommandFor(command: Command, chargePowerW: number | undefined): Command {
  if (command.type === 'force_charge') {
    if (command.power_w <= 0) return { type: 'restore_normal' };
    const power = chargePowerW === undefined ? command.power_w : Math.min(command.power_w, chargePowerW);
    return { ...command, power_w: power };
  }
  return command;
}
