import type { Clock, Device, HaEntityPort } from '@sps/core';
import type { z } from 'zod';

/** A device simulator that speaks the real protocol on loopback (`sps simulate`, the demo, tests). */
export interface SimulatorHandle {
  /** Starts listening; resolves to the bound port (port 0 = a free one). */
  start(address: { host: string; port: number }): Promise<number>;
  stop(): Promise<void>;
  /** The simulated physical state, for people and tests. */
  snapshot(): unknown;
}

export interface PollIntervals {
  readonly defaultMs: number;
  /** Faster polling than this is clamped up (e.g. the Sungrow WiNet-S dongle needs ~10 s). */
  readonly minMs: number;
}

export interface DriverContext {
  readonly clock: Clock;
  /**
   * The devices this entry names (a composite such as the power station), by the field that
   * names them (`station`, `p1`, …). They are the same Device instances the add-on polls on their
   * own, shared so that one physical device keeps one connection.
   */
  readonly members?: ReadonlyMap<string, Device>;
  /**
   * The add-on's data dir, for drivers that keep a small file across restarts (Teslemetry: the
   * user's own Powerwall settings while the add-on forces it). Absent for a one-off CLI device.
   */
  readonly dataDir?: string;
  /**
   * The add-on's log for this device (absent in one-shot CLI use). For what a driver notices that
   * is no error, e.g. a firmware quirk it works around (Sigenergy's PV register reading 0).
   */
  readonly log?: DriverLog;
  /**
   * Home Assistant's entities over the add-on's one HA connection (drivers on HA entities:
   * ha-battery, ha-ev-charger); undefined when the add-on runs without HA.
   */
  readonly ha?: HaEntityPort;
}

export type DriverLog = (level: 'info' | 'warn', details: Readonly<Record<string, unknown>>, message: string) => void;

/** A field of a device entry that names another configured device (by its name). */
export interface MemberReference {
  readonly field: string;
  readonly name: string;
}

/** A member relay channel in front of a transfer switch (see DriverDefinition.switchedRelays). */
export interface SwitchedRelay {
  /** The member field naming the relay's device entry (`p1`, `p3`), or `station` for the station's own switch. */
  readonly field: string;
  /** The entry's label for messages, e.g. `P1`. */
  readonly position: string;
  readonly channel: number;
  readonly minOnOffMs: number;
}

/**
 * A driver's own commands: what its devices take beyond the core Command types (a Studer's AC input
 * current limit in amps). They travel as the core `device_command` ({ type, name, …arguments }) and
 * so take the one command path: DeviceRunner, SafetyGuard, write budget, ledger, hand-back.
 */
export interface DriverCommands {
  /** `{ name, …arguments }` without `type`: strict objects discriminated by `name`, fields named in errors. */
  readonly schema: z.ZodType<{ readonly name: string }>;
  /** `sps write <driver> --flag VALUE`: one flag is one command with one argument. */
  readonly flags: Readonly<Record<string, DriverCommandFlag>>;
}

export interface DriverCommandFlag {
  /** The command's name, e.g. `set_ac_input_current_limit`. */
  readonly name: string;
  /** The argument the flag's value becomes, e.g. `amps`. */
  readonly field: string;
  readonly value: 'number' | 'boolean';
  /** For `sps write --help`, e.g. `the AC input current limit, A`. */
  readonly help: string;
}

/**
 * One device driver as the add-on sees it. `fields` validates the flat device entry of
 * the options (everything except name, driver, poll_interval_s and position) and the
 * connection flags of `sps read/write`; it is a strict object, so unknown fields are errors.
 */
export interface DriverDefinition<Fields = unknown> {
  readonly name: string;
  /** Human name, e.g. `Sungrow SH hybrid inverter (Modbus TCP)`. */
  readonly title: string;
  readonly fields: z.ZodType<Fields>;
  pollIntervals(fields: Fields): PollIntervals;
  create(id: string, fields: Fields, context: DriverContext): Device;
  /** Absent for drivers without a simulator. */
  /** `clock` drives the simulated physics (default the system clock; tests pass a ManualClock). */
  createSimulator?(options: { realTime: boolean; clock?: Clock }): SimulatorHandle;
  /**
   * Composite drivers: which fields name other device entries. The options check that they exist,
   * that no entry names itself and that there are no cycles; the device manager builds them first.
   */
  memberReferences?(fields: Fields): readonly MemberReference[];
  /**
   * Composite drivers: the member relays that switch a transfer switch, with their minimum on/off
   * time. The add-on holds them in the SafetyGuard, so the anti-chatter rule binds every caller
   * (the composite, a direct set_relay through the API, HA or the CLI), not only the composite.
   */
  switchedRelays?(fields: Fields): readonly SwitchedRelay[];
  /** Fields that make a device entry point at a running simulator. */
  simulatorFields?(address: { host: string; port: number }): Fields;
  /** A real device's connection as entered by a user, for `sps read <driver> --help` (tests parse it). */
  readonly exampleFields?: Readonly<Record<string, string | number>>;
  /** The command part of `sps write <driver> …`'s example (tests parse it); absent if the devices take none. */
  readonly exampleCommand?: string;
  /**
   * Drivers on Home Assistant entities (they use DriverContext.ha): `sps read|write` connect to HA
   * for them (--ha-url and a token, or the Supervisor's proxy inside the add-on).
   */
  readonly readsHomeAssistant?: boolean;
  /** The driver's own commands (`device_command`); absent when its devices take only the core ones. */
  readonly commands?: DriverCommands;
  /** Remarks on how an entry is written, e.g. an old spelling that still works; the CLI prints them. */
  notes?(fields: Fields): readonly string[];
}

export interface DriverLookup {
  get(name: string): DriverDefinition | undefined;
  names(): readonly string[];
}

/** Erase the field type so definitions of different drivers fit one registry. */
export function defineDriver<F>(definition: DriverDefinition<F>): DriverDefinition {
  return definition as unknown as DriverDefinition;
}
