import {
  DeviceError,
  parseDeviceCommand,
  type Clock,
  type CommandOutcome,
  type CommandType,
  type Device,
  type DeviceDescription,
  type EntityDescriptor,
  type HaEntityPort,
  type HaEntityState,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import { domainOf, HaEntityDevice, isOn, requireState, setNumber, switchTo } from './entity-access.js';
import { numericValue, toEntityUnit, unitFactor } from './units.js';

/**
 * Driver `ha-ev-charger`: an EV charger (and the car behind it) that Home Assistant already
 * controls: a switch that starts and stops charging and a number for the charging current.
 *
 * Readings (the names the optimiser looks for):
 * - `ev_plugged` (boolean): the car is plugged in (from plug_entity; absent without one);
 * - `ev_soc` (%): the car's state of charge (from car_soc_entity; absent without one);
 * - `ev_charging` (boolean): the charger's switch is on;
 * - `ev_charge_current` (A): the current the charger is set to;
 * - `ev_charge_limit` (W): that current as power, phases × voltage × A;
 * - `ev_charge_power` (W): charger_power_entity when mapped, else phases × voltage × A while the
 *   switch is on and the car plugged, else 0.
 * Commands: `set_relay {on}` starts/stops charging (the switch); `set_charge_limit {power_w}` sets
 * the current to power ÷ (phases × voltage), rounded down to whole amps and clamped to
 * min_current_a..max_current_a. Capabilities: maxChargeW = phases × voltage × max_current_a,
 * capacityWh = battery_kwh. The planning figures (departure, target SOC, power range) are
 * `HaEvChargerAdapter.profile` (evChargerProfile).
 */
export interface HaEvChargerOptions {
  readonly switch_entity: string;
  readonly current_entity: string;
  readonly car_soc_entity?: string | undefined;
  readonly plug_entity?: string | undefined;
  /** States of a sensor plug_entity that mean "plugged in" (lower case); a binary_sensor is on/off. */
  readonly plugged_states: readonly string[];
  readonly charger_power_entity?: string | undefined;
  /** Local time the car must be ready by, HH:MM. */
  readonly departure_time?: string | undefined;
  readonly target_soc_pct: number;
  readonly phases: 1 | 3;
  readonly voltage: number;
  readonly min_current_a: number;
  readonly max_current_a: number;
  readonly battery_kwh?: number | undefined;
}

/** The sensor states of common charger integrations that mean a car is connected (DOCS lists sources). */
export const DEFAULT_PLUGGED_STATES: readonly string[] = [
  'on',
  'plugged',
  'plugged_in',
  'connected',
  'charging',
  // OCPP 1.6 connector status
  'preparing',
  'suspendedev',
  'suspendedevse',
  'finishing',
  // easee charger_op_mode
  'awaiting_start',
  'ready_to_charge',
  'completed',
];

/** What the optimiser plans with. */
export interface EvChargerProfile {
  readonly phases: 1 | 3;
  readonly voltage: number;
  /** The least power the charger charges at when on (min_current_a), W. */
  readonly minPowerW: number;
  readonly maxPowerW: number;
  /** One amp of current as power: the resolution of a set_charge_limit. */
  readonly stepW: number;
  readonly targetSocPct: number;
  /** HH:MM local time, when set. */
  readonly departureTime?: string;
  readonly batteryWh?: number;
}

export function evChargerProfile(o: HaEvChargerOptions): EvChargerProfile {
  const wattsPerAmp = o.phases * o.voltage;
  return {
    phases: o.phases,
    voltage: o.voltage,
    minPowerW: wattsPerAmp * o.min_current_a,
    maxPowerW: wattsPerAmp * o.max_current_a,
    stepW: wattsPerAmp,
    targetSocPct: o.target_soc_pct,
    ...(o.departure_time === undefined ? {} : { departureTime: o.departure_time }),
    ...(o.battery_kwh === undefined ? {} : { batteryWh: o.battery_kwh * 1000 }),
  };
}

/** The current for a power, whole amps, clamped to the charger's range. */
export function currentForPower(o: HaEvChargerOptions, powerW: number): number {
  const amps = Math.floor(powerW / (o.phases * o.voltage) + 1e-9);
  return Math.min(o.max_current_a, Math.max(o.min_current_a, amps));
}

export interface HaEvChargerAdapterOptions {
  readonly id: string;
  readonly options: HaEvChargerOptions;
  readonly ha: HaEntityPort | undefined;
  readonly clock: Clock;
}

const COMMANDS: readonly CommandType[] = ['set_relay', 'set_charge_limit'];

export class HaEvChargerAdapter extends HaEntityDevice implements Device {
  readonly driver = 'ha-ev-charger';
  readonly profile: EvChargerProfile;

  constructor(private readonly opts: HaEvChargerAdapterOptions) {
    const o = opts.options;
    super(
      opts.ha,
      opts.clock,
      [o.switch_entity, o.current_entity, o.car_soc_entity, o.plug_entity, o.charger_power_entity].filter(
        (id): id is string => id !== undefined,
      ),
    );
    this.profile = evChargerProfile(o);
  }

  get id(): string {
    return this.opts.id;
  }

  protected readNow(): ReadingSet {
    const o = this.opts.options;
    const ha = this.opts.ha;
    for (const entityId of this.entityIds) requireState(ha, entityId);
    const charging = isOn(requireState(ha, o.switch_entity));
    const current = numericValue(requireState(ha, o.current_entity), 'current');
    const plugged = o.plug_entity === undefined ? undefined : isPlugged(requireState(ha, o.plug_entity), o);
    const wattsPerAmp = o.phases * o.voltage;
    const values: Record<string, ReadingValue | null> = {
      ev_charging: charging,
      ev_charge_current: current,
      ev_charge_limit: wattsPerAmp * current,
      ev_charge_power:
        o.charger_power_entity === undefined
          ? charging && plugged !== false
            ? wattsPerAmp * current
            : 0
          : Math.max(0, numericValue(requireState(ha, o.charger_power_entity), 'power')),
    };
    if (plugged !== undefined) values['ev_plugged'] = plugged;
    if (o.car_soc_entity) values['ev_soc'] = numericValue(requireState(ha, o.car_soc_entity), 'percent');
    return { timestamp: this.opts.clock.now(), values };
  }

  protected async executeNow(input: unknown): Promise<CommandOutcome> {
    const command = parseDeviceCommand(input);
    if (!this.connected) throw new DeviceError('not_connected', 'not connected');
    const o = this.opts.options;
    const ha = this.opts.ha;
    try {
      switch (command.type) {
        case 'set_relay': {
          if (isOn(requireState(ha, o.switch_entity)) === command.on) {
            return { command, applied: { on: command.on }, writes: 0 };
          }
          await switchTo(ha, o.switch_entity, command.on);
          return { command, applied: { on: command.on }, writes: 1 };
        }
        case 'set_charge_limit': {
          const state = requireState(ha, o.current_entity);
          const amps = withinNumberRange(state, currentForPower(o, command.power_w));
          const applied = { current_a: amps, power_w: amps * o.phases * o.voltage };
          if (numericValue(state, 'current') === amps) return { command, applied, writes: 0 };
          await setNumber(ha, o.current_entity, toEntityUnit(state, 'current', amps));
          return { command, applied, writes: 1 };
        }
        default:
          throw new DeviceError(
            'unsupported',
            `an EV charger cannot do ${command.type}; it starts/stops (set_relay) and takes a charge limit (set_charge_limit)`,
          );
      }
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  protected buildDescription(): DeviceDescription {
    const o = this.opts.options;
    const p = this.profile;
    const entities: EntityDescriptor[] = [
      {
        key: 'ev_charging',
        translationKey: 'ev_charging',
        platform: 'switch',
        name: 'EV charging',
        icon: 'mdi:ev-station',
        command: { command: 'set_relay', field: 'on' },
      },
      {
        key: 'ev_charge_limit',
        translationKey: 'ev_charge_limit',
        platform: 'number',
        name: 'EV charge power limit',
        deviceClass: 'power',
        unit: 'W',
        min: p.minPowerW,
        max: p.maxPowerW,
        step: p.stepW,
        mode: 'box',
        entityCategory: 'config',
        command: { command: 'set_charge_limit', field: 'power_w' },
      },
      {
        key: 'ev_charge_current',
        translationKey: 'ev_charge_current',
        platform: 'sensor',
        name: 'EV charging current',
        deviceClass: 'current',
        stateClass: 'measurement',
        unit: 'A',
      },
      {
        key: 'ev_charge_power',
        translationKey: 'ev_charge_power',
        platform: 'sensor',
        name: 'EV charging power',
        deviceClass: 'power',
        stateClass: 'measurement',
        unit: 'W',
        icon: 'mdi:ev-station',
      },
    ];
    if (o.plug_entity) {
      entities.push({
        key: 'ev_plugged',
        translationKey: 'ev_plugged',
        platform: 'binary_sensor',
        name: 'EV plugged in',
        deviceClass: 'plug',
      });
    }
    if (o.car_soc_entity) {
      entities.push({
        key: 'ev_soc',
        translationKey: 'ev_soc',
        platform: 'sensor',
        name: 'EV state of charge',
        deviceClass: 'battery',
        stateClass: 'measurement',
        unit: '%',
      });
    }
    return {
      info: { manufacturer: 'Home Assistant', model: 'EV charger from HA entities', serial: `ha_${o.switch_entity}` },
      entities,
      capabilities: {
        commands: COMMANDS,
        limits: {
          maxChargeW: p.maxPowerW,
          ...(p.batteryWh === undefined ? {} : { capacityWh: p.batteryWh }),
        },
      },
    };
  }
}

function isPlugged(state: HaEntityState, o: HaEvChargerOptions): boolean {
  if (domainOf(state.entityId) === 'binary_sensor' || domainOf(state.entityId) === 'input_boolean') return isOn(state);
  return o.plugged_states.includes(state.state.trim().toLowerCase());
}

/**
 * Keep a current within the number entity's own range (its `min`/`max` attributes, in its unit)
 * too: HA refuses a value outside it, and a car may allow less than max_current_a (Teslemetry's
 * charge current number takes its max from the car).
 */
function withinNumberRange(state: HaEntityState, amps: number): number {
  const factor = unitFactor(state, 'current');
  const min = Number(state.attributes['min']) * factor;
  const max = Number(state.attributes['max']) * factor;
  let result = amps;
  if (Number.isFinite(max) && max > 0) result = Math.min(result, Math.floor(max + 1e-9));
  if (Number.isFinite(min) && min > 0) result = Math.max(result, Math.ceil(min - 1e-9));
  return result;
}
