import {
  DeviceError,
  canonicalSensor,
  parseDeviceCommand,
  type Clock,
  type CommandOutcome,
  type CommandType,
  type Device,
  type DeviceCapabilities,
  type DeviceDescription,
  type DeviceLimits,
  type EntityDescriptor,
  type HaEntityPort,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import {
  domainOf,
  HaEntityDevice,
  requireState,
  runScript,
  selectOption,
  setNumber,
  switchTo,
} from './entity-access.js';
import {
  batteryPowerW,
  gridPowerW,
  numericValue,
  toEntityUnit,
  unitFactor,
  type GridSign,
  type PowerSign,
} from './units.js';

/**
 * Driver `ha-battery`: any battery Home Assistant already controls, through the entities its own
 * integration made. Readings come from HA's states (units and signs converted to the project's);
 * commands become HA service calls. The capabilities declare only what the mapping allows.
 *
 * Readings: battery_soc (%), battery_power (W, + discharging), pv_power, grid_power (+ importing),
 * load_power (when mapped), backup_reserve (%), max_charge_power / max_discharge_power (W) and
 * operating_mode (the mode entity's state) when those controls are mapped.
 * Commands: force_charge / force_discharge (a script, or the mode entity set to the forcing option,
 * after the power numbers are set to the asked power), restore_normal (the restore script, or the
 * mode back to self-consumption), set_charge_limit / set_discharge_limit / set_backup_reserve
 * (the numbers).
 */
export interface HaBatteryOptions {
  readonly soc_entity: string;
  readonly power_entity?: string | undefined;
  readonly power_sign: PowerSign;
  readonly pv_power_entity?: string | undefined;
  readonly grid_power_entity?: string | undefined;
  readonly grid_sign: GridSign;
  readonly load_power_entity?: string | undefined;
  /** A select/input_select (options are the mode_* values) or a switch/input_boolean (`on`/`off`). */
  readonly mode_entity?: string | undefined;
  readonly mode_self_consumption?: string | undefined;
  readonly mode_force_charge?: string | undefined;
  readonly mode_force_discharge?: string | undefined;
  readonly charge_power_entity?: string | undefined;
  readonly discharge_power_entity?: string | undefined;
  readonly backup_reserve_entity?: string | undefined;
  readonly force_charge_script?: string | undefined;
  readonly force_discharge_script?: string | undefined;
  readonly restore_script?: string | undefined;
  readonly capacity_kwh?: number | undefined;
  readonly max_charge_w?: number | undefined;
  readonly max_discharge_w?: number | undefined;
}

export interface HaBatteryAdapterOptions {
  readonly id: string;
  readonly options: HaBatteryOptions;
  /** Undefined when the add-on runs without HA: the device is unavailable, saying so. */
  readonly ha: HaEntityPort | undefined;
  readonly clock: Clock;
}

/** What a mapping can do, from the options alone (the add-on's option check uses it too). */
export function haBatteryCommands(o: HaBatteryOptions): CommandType[] {
  const viaMode = (value: string | undefined): boolean => o.mode_entity !== undefined && value !== undefined;
  const restore = o.restore_script !== undefined || viaMode(o.mode_self_consumption);
  const commands: CommandType[] = [];
  if (restore && (o.force_charge_script !== undefined || viaMode(o.mode_force_charge))) commands.push('force_charge');
  if (restore && (o.force_discharge_script !== undefined || viaMode(o.mode_force_discharge))) {
    commands.push('force_discharge');
  }
  if (restore) commands.push('restore_normal');
  if (o.charge_power_entity !== undefined) commands.push('set_charge_limit');
  if (o.discharge_power_entity !== undefined) commands.push('set_discharge_limit');
  if (o.backup_reserve_entity !== undefined) commands.push('set_backup_reserve');
  return commands;
}

/** Every entity the mapping names, in option order. */
export function haBatteryEntities(o: HaBatteryOptions): string[] {
  return [
    o.soc_entity,
    o.power_entity,
    o.pv_power_entity,
    o.grid_power_entity,
    o.load_power_entity,
    o.mode_entity,
    o.charge_power_entity,
    o.discharge_power_entity,
    o.backup_reserve_entity,
    o.force_charge_script,
    o.force_discharge_script,
    o.restore_script,
  ].filter((id): id is string => id !== undefined);
}

export class HaBatteryAdapter extends HaEntityDevice implements Device {
  readonly driver = 'ha-battery';

  constructor(private readonly opts: HaBatteryAdapterOptions) {
    super(opts.ha, opts.clock, haBatteryEntities(opts.options));
  }

  get id(): string {
    return this.opts.id;
  }

  /** A mode option the select does not offer would fail at the first command: checked at connect. */
  protected override checkEntities(): void {
    this.checkModeOptions();
  }

  /** A mode option the select does not offer would fail at the first command: say so now, naming both. */
  private checkModeOptions(): void {
    const o = this.opts.options;
    if (o.mode_entity === undefined) return;
    const domain = domainOf(o.mode_entity);
    if (domain !== 'select' && domain !== 'input_select') return;
    const offered = requireState(this.opts.ha, o.mode_entity).attributes['options'];
    if (!Array.isArray(offered)) return;
    for (const option of [o.mode_self_consumption, o.mode_force_charge, o.mode_force_discharge]) {
      if (option !== undefined && !offered.includes(option)) {
        throw new DeviceError(
          'bad_response',
          `${o.mode_entity} has no option "${option}" (it offers: ${offered.map(String).join(', ')})`,
        );
      }
    }
  }

  protected readNow(): ReadingSet {
    const o = this.opts.options;
    const ha = this.opts.ha;
    for (const entityId of this.entityIds) requireState(ha, entityId);
    const values: Record<string, ReadingValue | null> = {
      battery_soc: numericValue(requireState(ha, o.soc_entity), 'percent'),
    };
    if (o.power_entity) values['battery_power'] = batteryPowerW(requireState(ha, o.power_entity), o.power_sign);
    if (o.pv_power_entity) {
      // Some integrations report a few negative watts at night; PV is never negative here.
      values['pv_power'] = Math.max(0, numericValue(requireState(ha, o.pv_power_entity), 'power'));
    }
    if (o.grid_power_entity) values['grid_power'] = gridPowerW(requireState(ha, o.grid_power_entity), o.grid_sign);
    if (o.load_power_entity) {
      values['load_power'] = Math.max(0, numericValue(requireState(ha, o.load_power_entity), 'power'));
    }
    if (o.backup_reserve_entity) {
      values['backup_reserve'] = numericValue(requireState(ha, o.backup_reserve_entity), 'percent');
    }
    if (o.charge_power_entity) {
      values['max_charge_power'] = numericValue(requireState(ha, o.charge_power_entity), 'power');
    }
    if (o.discharge_power_entity) {
      values['max_discharge_power'] = numericValue(requireState(ha, o.discharge_power_entity), 'power');
    }
    if (o.mode_entity) values['operating_mode'] = requireState(ha, o.mode_entity).state;
    return { timestamp: this.opts.clock.now(), values };
  }

  protected async executeNow(input: unknown): Promise<CommandOutcome> {
    const command = parseDeviceCommand(input);
    if (!this.connected) throw new DeviceError('not_connected', 'not connected');
    const o = this.opts.options;
    if (!haBatteryCommands(o).includes(command.type)) {
      throw new DeviceError('unsupported', `the entity mapping has no way to ${command.type}`);
    }
    try {
      switch (command.type) {
        case 'force_charge': {
          const writes = await this.setPower(o.charge_power_entity, command.power_w);
          const how = o.force_charge_script
            ? await this.script(o.force_charge_script, command.power_w)
            : await this.setMode(o.mode_force_charge as string);
          return { command, applied: { power_w: command.power_w, ...how.applied }, writes: writes + how.writes };
        }
        case 'force_discharge': {
          const writes = await this.setPower(o.discharge_power_entity, command.power_w);
          const how = o.force_discharge_script
            ? await this.script(o.force_discharge_script, command.power_w)
            : await this.setMode(o.mode_force_discharge as string);
          return { command, applied: { power_w: command.power_w, ...how.applied }, writes: writes + how.writes };
        }
        case 'restore_normal': {
          const how = o.restore_script
            ? await this.script(o.restore_script)
            : await this.setMode(o.mode_self_consumption as string);
          return { command, applied: how.applied, writes: how.writes };
        }
        case 'set_charge_limit':
        case 'set_discharge_limit': {
          const entity = command.type === 'set_charge_limit' ? o.charge_power_entity : o.discharge_power_entity;
          const writes = await this.setPower(entity, command.power_w);
          return { command, applied: { power_w: command.power_w }, writes };
        }
        case 'set_backup_reserve': {
          const entity = o.backup_reserve_entity as string;
          const state = requireState(this.opts.ha, entity);
          const value = toEntityUnit(state, 'percent', command.percent);
          if (numericValue(state, 'percent') === command.percent)
            return { command, applied: { percent: value }, writes: 0 };
          await setNumber(this.opts.ha, entity, value);
          return { command, applied: { percent: value }, writes: 1 };
        }
        default:
          throw new DeviceError('unsupported', `the entity mapping has no way to ${command.type}`);
      }
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  /** Set a power number (in its own unit, W or kW); skipped when it already holds that value. */
  private async setPower(entityId: string | undefined, powerW: number): Promise<number> {
    if (entityId === undefined) return 0;
    const state = requireState(this.opts.ha, entityId);
    const value = toEntityUnit(state, 'power', powerW);
    if (Number(state.state) === value) return 0;
    await setNumber(this.opts.ha, entityId, value);
    return 1;
  }

  private async setMode(option: string): Promise<{ applied: Record<string, string>; writes: number }> {
    const entity = this.opts.options.mode_entity as string;
    const applied = { mode: option };
    if (requireState(this.opts.ha, entity).state === option) return { applied, writes: 0 };
    const domain = domainOf(entity);
    if (domain === 'switch' || domain === 'input_boolean') await switchTo(this.opts.ha, entity, option === 'on');
    else await selectOption(this.opts.ha, entity, option);
    return { applied, writes: 1 };
  }

  /** Scripts always run: HA cannot tell whether the action they take is already in force. */
  private async script(
    entityId: string,
    powerW?: number,
  ): Promise<{ applied: Record<string, string>; writes: number }> {
    await runScript(this.opts.ha, entityId, powerW === undefined ? {} : { power_w: powerW });
    return { applied: { script: entityId }, writes: 1 };
  }

  protected buildDescription(): DeviceDescription {
    const o = this.opts.options;
    const commands = haBatteryCommands(o);
    const limits = this.limits();
    const entities: EntityDescriptor[] = [canonicalSensor('battery_soc')];
    if (o.power_entity) entities.push(canonicalSensor('battery_power'));
    if (o.pv_power_entity) entities.push(canonicalSensor('pv_power'));
    if (o.grid_power_entity) entities.push(canonicalSensor('grid_power'));
    if (o.load_power_entity) entities.push(canonicalSensor('load_power'));
    if (o.mode_entity) {
      entities.push({
        key: 'operating_mode',
        translationKey: 'battery_operating_mode',
        platform: 'sensor',
        name: 'Operating mode',
        icon: 'mdi:cog-transfer',
      });
    }
    if (o.backup_reserve_entity) {
      entities.push({
        key: 'backup_reserve',
        translationKey: 'backup_reserve',
        platform: 'number',
        name: 'Backup reserve (min SOC)',
        unit: '%',
        min: limits.minBackupReservePct ?? 0,
        max: limits.maxBackupReservePct ?? 100,
        step: 1,
        mode: 'slider',
        icon: 'mdi:battery-lock',
        entityCategory: 'config',
        command: { command: 'set_backup_reserve', field: 'percent' },
      });
    }
    if (o.charge_power_entity) {
      entities.push(powerNumber('max_charge_power', 'Battery max charge power', limits.maxChargeW, 'set_charge_limit'));
    }
    if (o.discharge_power_entity) {
      entities.push(
        powerNumber('max_discharge_power', 'Battery max discharge power', limits.maxDischargeW, 'set_discharge_limit'),
      );
    }
    if (commands.includes('restore_normal')) {
      entities.push({
        key: 'restore_normal',
        translationKey: 'restore_normal',
        platform: 'button',
        name: 'Restore normal operation',
        icon: 'mdi:restore',
        command: { command: 'restore_normal' },
      });
    }
    const capabilities: DeviceCapabilities = { commands, limits };
    return {
      // The serial is the SOC entity: stable, unique per battery, and what the user mapped.
      info: { manufacturer: 'Home Assistant', model: 'Battery from HA entities', serial: `ha_${o.soc_entity}` },
      entities,
      capabilities,
    };
  }

  /** The options, else what the number entities say (their max, in their own unit). */
  private limits(): DeviceLimits {
    const o = this.opts.options;
    const numberMax = (entityId: string | undefined): number | undefined => {
      if (entityId === undefined) return undefined;
      const state = requireState(this.opts.ha, entityId);
      const max = Number(state.attributes['max']);
      return Number.isFinite(max) && max > 0 ? max * unitFactor(state, 'power') : undefined;
    };
    const reserve = o.backup_reserve_entity ? requireState(this.opts.ha, o.backup_reserve_entity) : undefined;
    const reserveBound = (key: 'min' | 'max'): number | undefined => {
      const value = Number(reserve?.attributes[key]);
      return reserve && Number.isFinite(value) ? value : undefined;
    };
    const maxChargeW = o.max_charge_w ?? numberMax(o.charge_power_entity);
    const maxDischargeW = o.max_discharge_w ?? numberMax(o.discharge_power_entity);
    const minReserve = reserveBound('min');
    const maxReserve = reserveBound('max');
    return {
      ...(maxChargeW === undefined ? {} : { maxChargeW }),
      ...(maxDischargeW === undefined ? {} : { maxDischargeW }),
      ...(o.capacity_kwh === undefined ? {} : { capacityWh: o.capacity_kwh * 1000 }),
      ...(minReserve === undefined ? {} : { minBackupReservePct: minReserve }),
      ...(maxReserve === undefined ? {} : { maxBackupReservePct: maxReserve }),
    };
  }
}

function powerNumber(
  key: 'max_charge_power' | 'max_discharge_power',
  name: string,
  max: number | undefined,
  command: 'set_charge_limit' | 'set_discharge_limit',
): EntityDescriptor {
  return {
    key,
    translationKey: key,
    platform: 'number',
    name,
    deviceClass: 'power',
    unit: 'W',
    min: 0,
    max: max ?? 100_000,
    step: 1,
    mode: 'box',
    entityCategory: 'config',
    command: { command, field: 'power_w' },
  };
}
