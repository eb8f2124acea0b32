import type { Command, CommandOutcome, CommandType } from './commands.js';
import type { DeviceInfo, EntityDescriptor } from './entities.js';
import type { TypedEmitter } from './events.js';
import type { ReadingSet } from './readings.js';

/** Positions around the transfer switch (issue 6): P1 grid charging input, P2 loads, P3 AC output, P4 PV. */
export type Position = 'P1' | 'P2' | 'P3' | 'P4';

/** Hard limits of the hardware, as the adapter learned them (identity registers, model table, config). */
export interface DeviceLimits {
  readonly maxChargeW?: number;
  readonly maxDischargeW?: number;
  readonly maxExportW?: number;
  /** The lowest backup reserve the device accepts, %. */
  readonly minBackupReservePct?: number;
  readonly maxBackupReservePct?: number;
  /** Battery capacity, Wh, when known. */
  readonly capacityWh?: number;
}

export interface DeviceCapabilities {
  readonly commands: readonly CommandType[];
  readonly limits: DeviceLimits;
  /** Operating modes accepted by `set_operating_mode`. */
  readonly operatingModes?: readonly string[];
  /** The shortest poll interval the device tolerates, ms (e.g. Sungrow via WiNet-S: 10 s). */
  readonly minPollIntervalMs?: number;
  /** The driver's own commands (`device_command`) this device takes, with what the guard can check of each. */
  readonly deviceCommands?: readonly DeviceCommandSpec[];
}

/** One of a driver's own commands, as the SafetyGuard sees it. */
export interface DeviceCommandSpec {
  readonly name: string;
  /**
   * The argument that sets the battery's charge current, A, and the bank's nominal voltage: the
   * guard holds current × voltage to the maximum charge power (the device's and the user's).
   */
  readonly chargeCurrent?: { readonly field: string; readonly nominalVoltageV: number };
}

/** What the adapter knows about the device after connecting. */
export interface DeviceDescription {
  readonly info: DeviceInfo;
  readonly entities: readonly EntityDescriptor[];
  readonly capabilities: DeviceCapabilities;
}

export interface Availability {
  readonly available: boolean;
  /** Why not, e.g. `timeout: no answer within 3000 ms`; absent while available. */
  readonly reason?: string;
  /** Milliseconds since the epoch when this availability began. */
  readonly since: number;
}

export interface DeviceEvents extends Record<string, unknown> {
  /** Pushed readings (devices that notify); polled readings come back from `read()`. */
  readings: ReadingSet;
  /** The transport noticed the device went away or came back between polls. */
  availability: Availability;
}

/**
 * The one interface every device adapter implements.
 *
 * Contract: methods reject only with `DeviceError` (see errors.ts). `connect()` may be
 * called again after a failure or `close()` to reconnect. `describe()` is valid after a
 * successful `connect()`. `execute()` receives commands that already passed the safety
 * guard; the adapter still refuses anything its device cannot do.
 */
export interface Device {
  readonly id: string;
  readonly driver: string;
  readonly events: TypedEmitter<DeviceEvents>;
  connect(): Promise<void>;
  describe(): DeviceDescription;
  read(): Promise<ReadingSet>;
  execute(command: Command): Promise<CommandOutcome>;
  close(): Promise<void>;
}
