import { CONTROLLER_GOALS, type ControllerGoal } from '@sps/control';
import { z } from 'zod';
import { expecting, nonEmptyText, numberBetween, oneOf } from '../zod-fields.js';

export const GRID_MODES = ['on', 'none'] as const;
export type GridMode = (typeof GRID_MODES)[number];
/** Off-grid default floor: a Pylontech's BMS cuts off around 5 %; 10 % keeps a margin above it. */
export const DEFAULT_FLOOR_SOC_PCT = 10;

/**
 * The add-on's `optimizer` option: one flat dict (config.yaml mirrors it). Every field is
 * optional; the optimiser runs when a tariff is configured and `enabled` is not false.
 */
export const optimizerOptionsSchema = z
  .strictObject(
    {
      enabled: z.boolean({ error: expecting('expected true or false') }).optional(),
      goal: oneOf(CONTROLLER_GOALS).optional(),
      /** The batteries the optimiser drives together (device names). Default: every device that can force_charge. */
      battery_devices: z
        .array(nonEmptyText(64), { error: expecting('expected a list of device names') })
        .min(1, 'name at least one device (or leave the option out)')
        .max(16, 'at most 16 batteries')
        .optional(),
      /** Deprecated: one battery; same as `battery_devices: [name]`. */
      battery_device: nonEmptyText(64).optional(),
      capacity_kwh: numberBetween(0.1, 10_000).optional(),
      charge_efficiency: numberBetween(0.5, 1).optional(),
      discharge_efficiency: numberBetween(0.5, 1).optional(),
      cycle_cost_per_kwh: numberBetween(0, 100).optional(),
      /** The EV charger device (ha-ev-charger) the plan co-optimises; default the first one configured. */
      ev_charger: nonEmptyText(64).optional(),
      /** `none`: an off-grid house (issue 13): no tariff needed, the plan keeps the house powered. */
      grid: oneOf(GRID_MODES).optional(),
      /** Off-grid: the battery's hard floor, % (the reserve above it is the guard's backup reserve). */
      floor_soc_pct: numberBetween(0, 100).optional(),
    },
    { error: expecting('expected a mapping of optimizer fields') },
  )
  .refine((o) => o.battery_device === undefined || o.battery_devices === undefined, {
    path: ['battery_device'],
    message: 'use battery_devices only (battery_device is its deprecated one-battery form)',
  });
export type OptimizerOptions = z.output<typeof optimizerOptionsSchema>;

export interface OptimizerSettings {
  /** The HA switch's value at start (the user can flip it in HA). */
  readonly enabled: boolean;
  readonly goal: ControllerGoal;
  /** Device ids (slugs) of the batteries to drive; default every device that can force_charge. */
  readonly batteryDevices?: readonly string[];
  readonly capacityWh?: number;
  readonly chargeEfficiency: number;
  readonly dischargeEfficiency: number;
  readonly cycleCostPerKwh: number;
  /** Device id (slug) of the EV charger to plan; default the first ha-ev-charger device. */
  readonly evCharger?: string;
  /** `none`: off-grid planning (no grid flows, no tariff needed, no forced battery commands). */
  readonly grid: GridMode;
  /** Off-grid: the plan's hard floor, %. */
  readonly floorSocPct: number;
}

/** Defaults: a round trip of ~90 % (typical LFP + hybrid inverter) and no cycle cost. */
export function toOptimizerSettings(options: OptimizerOptions, deviceId: (name: string) => string): OptimizerSettings {
  return {
    enabled: options.enabled ?? true,
    goal: options.goal ?? 'cost',
    ...batteryDevicesOf(options, deviceId),
    ...(options.capacity_kwh === undefined ? {} : { capacityWh: options.capacity_kwh * 1000 }),
    chargeEfficiency: options.charge_efficiency ?? 0.95,
    dischargeEfficiency: options.discharge_efficiency ?? 0.95,
    cycleCostPerKwh: options.cycle_cost_per_kwh ?? 0,
    ...(options.ev_charger === undefined ? {} : { evCharger: deviceId(options.ev_charger) }),
    grid: options.grid ?? 'on',
    floorSocPct: options.floor_soc_pct ?? DEFAULT_FLOOR_SOC_PCT,
  };
}

function batteryDevicesOf(
  options: OptimizerOptions,
  deviceId: (name: string) => string,
): { batteryDevices?: readonly string[] } {
  const names =
    options.battery_devices ?? (options.battery_device === undefined ? undefined : [options.battery_device]);
  if (names === undefined) return {};
  // The same device named twice is driven once.
  return { batteryDevices: [...new Set(names.map(deviceId))] };
}
