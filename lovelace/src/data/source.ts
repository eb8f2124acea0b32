/**
 * One data layer, two hosts. Every card reads and steers the add-on through this interface only:
 * inside Home Assistant through the `hass` object (HaDataSource: entity states, the integration's
 * services, and the bridge's read-only `smart_power_station/query` websocket command), in the
 * add-on's own panel through its HTTP API relative to the page (HttpDataSource, ingress-safe).
 */
import type { DeviceJson, DeviceReadingsJson, Goal, HistoryResponse, OverrideKind, PlanResponse } from './api-types.js';
import type { TimeSettings } from '../format/time.js';

export interface SpsSnapshot {
  /** GET /api/plan: the optimiser, the plan with every interval's reason, the active override. */
  readonly plan: PlanResponse | null;
  /** GET /api/devices. */
  readonly devices: readonly DeviceJson[];
  /** The latest readings per device id (live). */
  readonly readings: Readonly<Record<string, DeviceReadingsJson>>;
  /**
   * The add-on is not answering (no live update for `staleAfterMs`, or HA says the integration's
   * entities are unavailable): cards grey out and disable commands.
   */
  readonly stale: boolean;
  readonly staleReason: string | null;
  /** The last failure to load (shown in the card), null when the last load worked. */
  readonly error: string | null;
  /** When the snapshot last changed from the add-on (ms since epoch), null before the first answer. */
  readonly updatedAt: number | null;
}

export interface HistoryRequest {
  readonly device: string;
  /** Reading key, e.g. `battery_soc`, `grid_power`, `pv_power`, `battery_power`. */
  readonly key: string;
  /** ms since epoch. */
  readonly from: number;
  readonly to: number;
  /** Bucket size, e.g. `5m`, `1h`. */
  readonly step?: string;
}

export interface OverrideRequest {
  readonly kind: OverrideKind;
  /** W; omitted = the battery's maximum (an empty field is never 0 W). */
  readonly powerW?: number;
  /** hold_soc: the SOC to hold, %. */
  readonly socPct?: number;
  readonly durationMinutes: number;
}

/** A device command as the add-on's `Command` (packages/core/src/commands.ts). */
export type DeviceCommand =
  | { readonly type: 'force_charge' | 'force_discharge'; readonly power_w: number; readonly until?: string }
  | { readonly type: 'restore_normal' }
  | { readonly type: 'set_backup_reserve'; readonly percent: number }
  | {
      readonly type: 'set_charge_limit' | 'set_discharge_limit' | 'set_export_limit';
      readonly power_w: number;
    }
  | { readonly type: 'set_relay'; readonly on: boolean; readonly channel?: number }
  | { readonly type: 'set_operating_mode'; readonly mode: string }
  /** A driver's own command (a Studer's AC input current limit): its name and arguments. */
  | { readonly type: 'device_command'; readonly name: string; readonly [argument: string]: string | number | boolean };

/** What became of a command: refusals (the safety guard, a bad field) carry the add-on's reason. */
export type CommandOutcome =
  { readonly ok: true; readonly message: string } | { readonly ok: false; readonly message: string };

export interface SpsDataSource {
  /** `ha` inside Home Assistant, `panel` in the add-on's own page. */
  readonly host: 'ha' | 'panel';
  snapshot(): SpsSnapshot;
  /** Called on every change (live readings, a new plan, stale on/off). Returns the unsubscribe. */
  subscribe(listener: (snapshot: SpsSnapshot) => void): () => void;
  /** Load plan, devices and readings now (after a command, or on demand). */
  refresh(): Promise<void>;
  history(request: HistoryRequest): Promise<HistoryResponse>;
  setOptimizer(change: { readonly enabled?: boolean; readonly goal?: Goal }): Promise<CommandOutcome>;
  startOverride(request: OverrideRequest): Promise<CommandOutcome>;
  cancelOverride(): Promise<CommandOutcome>;
  sendCommand(deviceId: string, command: DeviceCommand): Promise<CommandOutcome>;
  /** The user's zone and 12/24 h format (HA profile, or the browser). */
  timeSettings(): TimeSettings;
  /** Where a device's full page is (HA's device page, or the panel's device section); null when none. */
  deviceLink(deviceId: string): string | null;
}

export const EMPTY_SNAPSHOT: SpsSnapshot = {
  plan: null,
  devices: [],
  readings: {},
  stale: false,
  staleReason: null,
  error: null,
  updatedAt: null,
};

/** Without a live update for this long the add-on is taken as stopped. */
export const DEFAULT_STALE_AFTER_MS = 45_000;
