import type { Command } from '@sps/core';
import {
  parseDeviceCommand,
  AvailabilityReporter,
  DeviceError,
  canonicalSensor,
  systemClock,
  toDeviceError,
  TypedEmitter,
  type Clock,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type EntityDescriptor,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import { booleanOf, defaultKeys, numberOf, StationMember, type StationPosition, type SwitchRef } from './member.js';
import {
  parseStationSettings,
  type MeterPositionSpec,
  type PowerStationOptions,
  type StationSettings,
  type SwitchPositionSpec,
} from './options.js';
import { MinOnOffTimer, SWITCH_LABELS, type StationSwitch } from './switch-timer.js';

export const STATION_DRIVER = 'station';
/** The composite's serial is the station's with this suffix (stable: HA's unique ids derive from it). */
export const STATION_SERIAL_SUFFIX = '-station';

/** Bluetti set_relay channels (bluetti README): 0 AC output, 2 grid charging. */
export const STATION_AC_OUTPUT_CHANNEL = 0;
export const STATION_GRID_CHARGE_CHANNEL = 2;

interface MeterRef {
  readonly device: Device;
  readonly powerKey: string;
}

/** What the three actions do with the two switches. */
const TARGETS = {
  force_charge: { grid_charging: true, ac_output: false },
  force_discharge: { grid_charging: false, ac_output: true },
  restore_normal: { grid_charging: false, ac_output: false },
} as const satisfies Record<string, Record<StationSwitch, boolean>>;

/**
 * The power station and the relays/sensors around its transfer switch as one battery (issue 6 §5).
 *
 * - force_charge: P3 off, then P1 on — the station charges from the grid at its fixed power.
 * - force_discharge: P1 off, then P3 on — the transfer switch moves P2's loads onto the station.
 * - restore_normal: both off — P2 back on the grid, the station only takes PV.
 *
 * Readings are the whole: SOC and battery power from the station, grid_power = what P1 draws,
 * load_power = P2, pv_power = P4. The composite is unavailable (with the station's reason) when
 * the station is; a missing relay or sensor only degrades it (`degraded_reason`, `pN_available`).
 * A switch that changed less than `minOnOffMs` ago is not changed again: the command is refused
 * with the time left (see README for why refused rather than deferred).
 */
export class PowerStationComposite implements Device {
  readonly driver = STATION_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  readonly id: string;
  readonly settings: StationSettings;
  private readonly clock: Clock;
  private readonly availability: AvailabilityReporter;
  private readonly timer: MinOnOffTimer;
  private readonly station: StationMember;
  /** One member per distinct device (P1 and P3 may both be the station). */
  private readonly members = new Map<Device, StationMember>();
  private readonly switches: Record<StationSwitch, SwitchRef>;
  private readonly p2: MeterRef | null;
  private readonly p4: MeterRef | null;
  private readonly positions: Readonly<Partial<Record<StationPosition, Device>>>;
  private description: DeviceDescription | null = null;
  private chargePowerW = 0;
  /** null when neither the station's inverter rating nor p2LoadCapW is known. */
  private maxDischargeW: number | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(options: PowerStationOptions) {
    this.settings = parseStationSettings({
      id: options.id,
      minOnOffMs: options.minOnOffMs,
      chargePowerW: options.chargePowerW,
      p2LoadCapW: options.p2LoadCapW,
    });
    this.id = this.settings.id;
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.timer = new MinOnOffTimer(this.clock, this.settings.minOnOffMs);
    this.station = this.member('station', options.station);
    this.switches = {
      grid_charging: this.switchRef('P1', options.p1, options.station, STATION_GRID_CHARGE_CHANNEL),
      ac_output: this.switchRef('P3', options.p3, options.station, STATION_AC_OUTPUT_CHANNEL),
    };
    this.p2 = options.p2 === undefined ? null : this.meterRef('P2', options.p2, 'load_power');
    this.p4 = options.p4 === undefined ? null : this.meterRef('P4', options.p4, 'pv_power');
    this.positions = {
      station: options.station,
      P1: this.switches.grid_charging.device,
      P3: this.switches.ac_output.device,
      ...(this.p2 ? { P2: this.p2.device } : {}),
      ...(this.p4 ? { P4: this.p4.device } : {}),
    };
  }

  /** The device at each position (for the add-on's attributes). */
  get memberDevices(): Readonly<Partial<Record<StationPosition, Device>>> {
    return this.positions;
  }

  async connect(): Promise<void> {
    this.unsubscribe?.();
    try {
      await this.station.connect();
    } catch (err) {
      const error = toDeviceError(err);
      this.availability.report(false, error.message);
      throw error;
    }
    // Relays and sensors are best effort: a missing one degrades the composite, reads retry it.
    await Promise.allSettled([...this.members.values()].filter((m) => m !== this.station).map((m) => m.connect()));
    const stationDescription = this.station.device.describe();
    this.checkStationSwitches(stationDescription);
    const limits = stationDescription.capabilities.limits;
    const chargeW = this.settings.chargePowerW ?? limits.maxChargeW;
    if (chargeW === undefined || chargeW <= 0) {
      const error = new DeviceError(
        'unsupported',
        `chargePowerW: the station does not report its grid-charging power; set chargePowerW in the station's options`,
      );
      this.availability.report(false, error.message);
      throw error;
    }
    this.chargePowerW = chargeW;
    const caps = [limits.maxDischargeW, this.settings.p2LoadCapW].filter((w): w is number => w !== undefined);
    this.maxDischargeW = caps.length > 0 ? Math.min(...caps) : null;
    this.description = this.buildDescription(stationDescription);
    this.unsubscribe = this.station.device.events.on('availability', (a) => {
      // The station's link dropped between polls: the whole battery is gone until it is back.
      if (!a.available)
        this.availability.report(false, `station ${this.station.device.id}: ${a.reason ?? 'unavailable'}`);
    });
    this.availability.report(true);
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    this.describe();
    // All members are read at once and every read is observed from the start (allSettled): awaiting
    // them one after another left a member that failed while an earlier one was still answering
    // rejected with no handler, an unhandled rejection on every poll while a relay was offline.
    const devices = [...this.members.keys()];
    const outcomes = await Promise.allSettled([...this.members.values()].map((member) => member.read()));
    const settled = new Map<Device, ReadingSet | null>();
    let stationError: DeviceError | null = null;
    for (const [i, outcome] of outcomes.entries()) {
      const device = devices[i] as Device;
      settled.set(device, outcome.status === 'fulfilled' ? outcome.value : null);
      if (outcome.status === 'rejected' && device === this.station.device) stationError = toDeviceError(outcome.reason);
    }
    if (stationError !== null) {
      this.availability.report(false, stationError.message);
      throw stationError;
    }
    this.availability.report(true);
    return { timestamp: this.clock.now(), values: this.compose(settled) };
  }

  async execute(input: Command): Promise<CommandOutcome> {
    this.describe();
    const command = parseDeviceCommand(input);
    if (command.type !== 'force_charge' && command.type !== 'force_discharge' && command.type !== 'restore_normal') {
      throw new DeviceError(
        'unsupported',
        `${command.type}: the power station is switched, not set — it takes force_charge, force_discharge and restore_normal`,
      );
    }
    this.checkPower(command);
    const target = TARGETS[command.type];
    const current = await this.switchStates();
    const changes = (Object.keys(target) as StationSwitch[]).filter((s) => current[s] !== target[s]);
    // All or nothing: refuse before touching anything if one change would chatter a switch.
    for (const s of changes) {
      const blocked = this.timer.blockReason(s, current[s]);
      // `busy`, not `rejected`: the same command succeeds once the time is up, so a hand-back retries it.
      if (blocked !== null) throw new DeviceError('busy', blocked);
    }
    // Switch off before on: never feed the station from the grid while it carries the loads.
    changes.sort((a, b) => Number(target[a]) - Number(target[b]));
    let writes = 0;
    const applied: Record<string, number | string | boolean> = {};
    for (const s of changes) {
      if (s === 'ac_output' && target.ac_output && current.stationOutputOn === false) {
        // A relay at P3 carries the station's output: that output must be live before P3 closes,
        // or the transfer switch sees nothing and the loads stay on the grid. It is left on
        // afterwards (P3 does the switching), so this costs one write per manual switch-off.
        const station = await this.station.guard(() =>
          this.station.device.execute({ type: 'set_relay', on: true, channel: STATION_AC_OUTPUT_CHANNEL }),
        );
        writes += station.writes;
        applied.station_output_on = true;
      }
      const ref = this.switches[s];
      const member = this.memberOf(ref.device);
      const outcome = await member.guard(() =>
        ref.device.execute({ type: 'set_relay', on: target[s], channel: ref.channel }),
      );
      this.timer.recordChange(s);
      writes += outcome.writes;
    }
    applied.grid_charging_on = target.grid_charging;
    applied.ac_output_on = target.ac_output;
    if (command.type === 'force_charge') applied.charge_power_w = this.chargePowerW;
    return { command, applied, writes };
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const member of this.members.values()) await member.close();
  }

  // ---- internals ----

  private member(position: StationPosition, device: Device): StationMember {
    let member = this.members.get(device);
    if (!member) {
      member = new StationMember(position, device);
      this.members.set(device, member);
    }
    return member;
  }

  private memberOf(device: Device): StationMember {
    const member = this.members.get(device);
    if (!member) throw new DeviceError('not_connected', `no member ${device.id}`);
    return member;
  }

  private switchRef(
    position: 'P1' | 'P3',
    spec: SwitchPositionSpec,
    station: Device,
    stationChannel: number,
  ): SwitchRef {
    if (spec === 'station') {
      return { device: station, channel: stationChannel, ...defaultKeys(station.driver, stationChannel) };
    }
    const { device, channel = 0, stateKey, powerKey } = 'device' in spec ? spec : { device: spec };
    if (!Number.isInteger(channel) || channel < 0 || channel > 63) {
      throw new Error(`${position.toLowerCase()}.channel: must be a whole number 0–63`);
    }
    this.member(position, device);
    const keys = defaultKeys(device.driver, channel);
    return {
      device,
      channel,
      stateKey: stateKey ?? keys.stateKey,
      powerKey: powerKey ?? keys.powerKey,
    };
  }

  private meterRef(position: 'P2' | 'P4', spec: MeterPositionSpec, fallbackKey: string): MeterRef {
    const { device, channel = 0, powerKey } = 'device' in spec ? spec : { device: spec };
    this.member(position, device);
    const key = powerKey ?? (device.driver === 'ina260' ? fallbackKey : defaultKeys(device.driver, channel).powerKey);
    return { device, powerKey: key ?? fallbackKey };
  }

  /** A `'station'` position needs the station to have that switch (only the AC300 family switches grid charging). */
  private checkStationSwitches(d: DeviceDescription): void {
    for (const [s, ref] of Object.entries(this.switches) as [StationSwitch, SwitchRef][]) {
      if (ref.device !== this.station.device) continue;
      if (!d.entities.some((e) => e.key === ref.stateKey)) {
        const error = new DeviceError(
          'unsupported',
          `${s === 'grid_charging' ? 'p1' : 'p3'}: the ${d.info.model} has no ${SWITCH_LABELS[s]} switch of its own ` +
            `(${ref.stateKey}); put a relay at ${s === 'grid_charging' ? 'P1' : 'P3'}`,
        );
        this.availability.report(false, error.message);
        throw error;
      }
    }
  }

  /** The reading key of the station's own AC output switch (`ac_output_on` on a Bluetti). */
  private get stationOutputKey(): string {
    return defaultKeys(this.station.device.driver, STATION_AC_OUTPUT_CHANNEL).stateKey;
  }

  private stationHasOutputSwitch(): boolean {
    return this.station.device.describe().entities.some((e) => e.key === this.stationOutputKey);
  }

  private checkPower(command: Command): void {
    if (command.type === 'force_charge' && command.power_w > this.chargePowerW) {
      throw new DeviceError(
        'rejected',
        `power_w: ${command.power_w} W is above the station's grid-charging power of ${this.chargePowerW} W ` +
          '(it charges from the grid at that fixed power)',
      );
    }
    if (command.type === 'force_discharge' && this.maxDischargeW !== null && command.power_w > this.maxDischargeW) {
      throw new DeviceError(
        'rejected',
        `power_w: ${command.power_w} W is above what the station can carry on P2 (${this.maxDischargeW} W)`,
      );
    }
  }

  /**
   * Reads the switching devices now: the minimum-time rule and the writes depend on the true state.
   * With a relay at P3, `stationOutputOn` is the station's own AC output behind it (null when the
   * station has no such switch or P3 is the station's own output).
   */
  private async switchStates(): Promise<Record<StationSwitch, boolean> & { stationOutputOn: boolean | null }> {
    const cache = new Map<Device, Promise<ReadingSet>>();
    const stateOf = async (s: StationSwitch): Promise<boolean> => {
      const ref = this.switches[s];
      let read = cache.get(ref.device);
      if (!read) {
        read = this.memberOf(ref.device).read();
        cache.set(ref.device, read);
      }
      const value = booleanOf((await read).values, ref.stateKey);
      if (value === null) {
        throw new DeviceError('bad_response', `${SWITCH_LABELS[s]}: ${ref.device.id} reports no ${ref.stateKey}`);
      }
      return value;
    };
    const gridCharging = await stateOf('grid_charging');
    const acOutput = await stateOf('ac_output');
    let stationOutputOn: boolean | null = null;
    if (this.switches.ac_output.device !== this.station.device && this.stationHasOutputSwitch()) {
      let read = cache.get(this.station.device);
      if (!read) read = this.station.read();
      stationOutputOn = booleanOf((await read).values, this.stationOutputKey);
    }
    return { grid_charging: gridCharging, ac_output: acOutput, stationOutputOn };
  }

  private compose(read: ReadonlyMap<Device, ReadingSet | null>): Record<string, ReadingValue | null> {
    const station = read.get(this.station.device)?.values ?? {};
    const valuesOf = (device: Device): ReadingSet['values'] | null => read.get(device)?.values ?? null;
    const p1 = this.switches.grid_charging;
    const p3 = this.switches.ac_output;
    const p1Values = valuesOf(p1.device);
    const p3Values = valuesOf(p3.device);
    const gridCharging = p1Values ? booleanOf(p1Values, p1.stateKey) : null;
    const acOutput = p3Values ? booleanOf(p3Values, p3.stateKey) : null;
    // What P1 draws is what flows into the station's AC input; the station measures that too.
    const p1Power = p1.device === this.station.device || !p1Values ? null : numberOf(p1Values, p1.powerKey);
    const p2Values = this.p2 ? valuesOf(this.p2.device) : null;
    const p4Values = this.p4 ? valuesOf(this.p4.device) : null;
    const stationAcOut = numberOf(station, 'ac_output_power');
    // A closed relay at P3 moves the loads only while the station's own output behind it is live.
    const stationOutput = p3.device === this.station.device ? null : booleanOf(station, this.stationOutputKey);
    const loadsOnStation = acOutput === true && stationOutput !== false;
    const loadPower = this.p2 && p2Values ? numberOf(p2Values, this.p2.powerKey) : acOutput ? stationAcOut : null;
    const pvPower = this.p4 && p4Values ? numberOf(p4Values, this.p4.powerKey) : numberOf(station, 'pv_power');

    const values: Record<string, ReadingValue | null> = {
      battery_soc: numberOf(station, 'battery_soc'),
      battery_power: numberOf(station, 'battery_power'),
      pv_power: pvPower,
      grid_power: p1Power ?? numberOf(station, 'grid_power'),
      load_power: loadPower,
      ac_output_power: stationAcOut,
      export_power: 0,
      grid_charging_on: gridCharging,
      ac_output_on: acOutput,
      station_mode: loadsOnStation ? 'discharging' : gridCharging ? 'charging' : acOutput === null ? null : 'idle',
      grid_charging_hold_s: Math.ceil(this.timer.waitMs('grid_charging') / 1000),
      ac_output_hold_s: Math.ceil(this.timer.waitMs('ac_output') / 1000),
    };
    const reasons: string[] = [];
    for (const [position, device] of Object.entries(this.positions) as [StationPosition, Device][]) {
      if (position === 'station') continue;
      const status = this.memberOf(device).status;
      values[`${position.toLowerCase()}_available`] = status.available;
      if (!status.available && status.reason !== undefined && !reasons.includes(status.reason)) {
        reasons.push(status.reason);
      }
    }
    values.degraded_reason = reasons.length > 0 ? reasons.join('; ') : null;
    return values;
  }

  private buildDescription(station: DeviceDescription): DeviceDescription {
    const minPoll = [...this.members.keys()]
      .map((d) => {
        try {
          return d.describe().capabilities.minPollIntervalMs ?? 0;
        } catch {
          return 0;
        }
      })
      .reduce((a, b) => Math.max(a, b), 0);
    const positions = Object.keys(this.positions).filter((p) => p !== 'station') as StationPosition[];
    const diagnostic = { entityCategory: 'diagnostic' } as const;
    const entities: EntityDescriptor[] = [
      canonicalSensor('battery_soc'),
      canonicalSensor('battery_power'),
      canonicalSensor('pv_power'),
      canonicalSensor('grid_power'),
      canonicalSensor('load_power', { translationKey: 'switched_load_power', name: 'Load behind the transfer switch' }),
      canonicalSensor('ac_output_power'),
      // Behind a transfer switch the station never feeds the grid: always 0 W, shown so the reading has a name.
      canonicalSensor('export_power'),
      {
        key: 'grid_charging_on',
        platform: 'binary_sensor',
        translationKey: 'grid_charging_on',
        name: 'Grid charging (P1)',
        icon: 'mdi:transmission-tower-import',
      },
      {
        key: 'ac_output_on',
        platform: 'binary_sensor',
        translationKey: 'ac_output_on',
        name: 'Loads on the station (P3)',
        icon: 'mdi:power-socket',
      },
      {
        key: 'station_mode',
        platform: 'sensor',
        translationKey: 'station_mode',
        name: 'Station mode',
        deviceClass: 'enum',
        options: ['charging', 'discharging', 'idle'],
      },
      {
        key: 'grid_charging_hold_s',
        platform: 'sensor',
        translationKey: 'grid_charging_hold_s',
        name: 'P1 minimum-time hold',
        unit: 's',
        ...diagnostic,
      },
      {
        key: 'ac_output_hold_s',
        platform: 'sensor',
        translationKey: 'ac_output_hold_s',
        name: 'P3 minimum-time hold',
        unit: 's',
        ...diagnostic,
      },
      ...positions.map((p): EntityDescriptor => ({
        key: `${p.toLowerCase()}_available`,
        platform: 'binary_sensor',
        translationKey: 'position_reachable',
        translationPlaceholders: { position: p, device: this.positions[p]?.id ?? '' },
        name: `${p} ${this.positions[p]?.id ?? ''} reachable`.replace('  ', ' '),
        deviceClass: 'connectivity',
        ...diagnostic,
      })),
      {
        key: 'degraded_reason',
        platform: 'sensor',
        translationKey: 'degraded_reason',
        name: 'Degraded because',
        icon: 'mdi:alert',
        ...diagnostic,
      },
      {
        key: 'force_charge',
        platform: 'button',
        translationKey: 'station_force_charge',
        name: 'Charge from the grid',
        command: { command: 'force_charge', fixed: { power_w: this.chargePowerW } },
      },
      {
        key: 'force_discharge',
        platform: 'button',
        translationKey: 'station_force_discharge',
        name: 'Move the loads onto the station',
        command: { command: 'force_discharge', fixed: { power_w: 0 } },
      },
      {
        key: 'restore_normal',
        platform: 'button',
        translationKey: 'station_restore_normal',
        name: 'Back to normal',
        command: { command: 'restore_normal' },
      },
    ];
    return {
      info: {
        manufacturer: station.info.manufacturer,
        model: `${station.info.model} power station (${['station', ...positions].join(', ')})`,
        // Its own identity in HA: with the station's serial HA would merge the two devices and their
        // entities' unique ids (serial + key: battery_soc, ac_output_on …) would collide.
        serial: `${station.info.serial}${STATION_SERIAL_SUFFIX}`,
        ...(station.info.firmware === undefined ? {} : { firmware: station.info.firmware }),
      },
      entities,
      capabilities: {
        commands: ['force_charge', 'force_discharge', 'restore_normal'],
        limits: {
          maxChargeW: this.chargePowerW,
          ...(this.maxDischargeW === null ? {} : { maxDischargeW: this.maxDischargeW }),
          // Behind the transfer switch the station only ever feeds P2's loads: it cannot export.
          maxExportW: 0,
          ...(station.capabilities.limits.capacityWh === undefined
            ? {}
            : { capacityWh: station.capabilities.limits.capacityWh }),
        },
        ...(minPoll > 0 ? { minPollIntervalMs: minPoll } : {}),
      },
    };
  }
}
