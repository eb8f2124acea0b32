import { DeviceError, toDeviceError, type Device, type ReadingSet, type ReadingValue } from '@sps/core';

/** Where a member sits around the transfer switch (issue 6). */
export type StationPosition = 'station' | 'P1' | 'P2' | 'P3' | 'P4';

/**
 * A switched member (P1 grid charging, P3 AC output): which device, which relay channel, and
 * the reading keys that hold its on/off state and its power.
 */
export interface SwitchRef {
  readonly device: Device;
  readonly channel: number;
  readonly stateKey: string;
  readonly powerKey: string | null;
}

/**
 * Reading keys by driver, so a plain device can be named at a position without spelling them out.
 * Bluetti channels: 0 AC output (`ac_output_on`), 2 grid charging (`grid_charge_on`, AC300 family)
 * — see the bluetti README; Shelly `switch_N`/`power_N`; Kasa `relay_on`/`load_power`.
 */
export function defaultKeys(driver: string, channel: number): { stateKey: string; powerKey: string | null } {
  switch (driver) {
    case 'bluetti':
      if (channel === 2) return { stateKey: 'grid_charge_on', powerKey: 'grid_power' };
      if (channel === 1) return { stateKey: 'dc_output_on', powerKey: 'dc_output_power' };
      return { stateKey: 'ac_output_on', powerKey: 'ac_output_power' };
    case 'kasa':
      return { stateKey: 'relay_on', powerKey: 'load_power' };
    case 'ina260':
      return { stateKey: 'pv_power', powerKey: 'pv_power' };
    default:
      return { stateKey: `switch_${channel}`, powerKey: `power_${channel}` };
  }
}

export interface MemberStatus {
  readonly available: boolean;
  /** `P1 relay-1: connection refused: …`; absent while available. */
  readonly reason?: string;
}

/**
 * One member device as the composite uses it: connects lazily, reconnects after a failure, and
 * turns every failure into a DeviceError whose message names the position and the device.
 */
export class StationMember {
  private connected = false;
  private lastStatus: MemberStatus = { available: false, reason: 'not read yet' };

  constructor(
    readonly position: StationPosition,
    readonly device: Device,
  ) {}

  get label(): string {
    return `${this.position} ${this.device.id}`;
  }

  get status(): MemberStatus {
    return this.lastStatus;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    await this.guard(async () => {
      await this.device.connect();
      this.connected = true;
    });
  }

  async read(): Promise<ReadingSet> {
    return this.guard(async () => {
      if (!this.connected) {
        await this.device.connect();
        this.connected = true;
      }
      return this.device.read();
    });
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.device.close().catch(() => undefined);
  }

  /** Runs device work; a failure other than a refusal makes the next call reconnect first. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.lastStatus = { available: true };
      return result;
    } catch (err) {
      const error = toDeviceError(err);
      if (!error.deviceAnswered) this.connected = false;
      if (!error.deviceAnswered) this.lastStatus = { available: false, reason: `${this.label}: ${error.reason}` };
      throw new DeviceError(error.kind, `${this.label}: ${error.message}`, { cause: error });
    }
  }
}

export function numberOf(values: ReadingSet['values'], key: string | null): number | null {
  if (key === null) return null;
  const v: ReadingValue | null | undefined = values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function booleanOf(values: ReadingSet['values'], key: string): boolean | null {
  const v = values[key];
  return typeof v === 'boolean' ? v : null;
}
