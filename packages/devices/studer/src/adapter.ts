import { openCanBus, type CanBus, type CanTransportProblem } from '@sps/can';
import {
  AvailabilityReporter,
  COMMAND_TYPES,
  DeviceError,
  parseDeviceCommand,
  systemClock,
  TypedEmitter,
  type Clock,
  type Command,
  type CommandOutcome,
  type CommandType,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type DeviceLimits,
  type ReadingSet,
} from '@sps/core';
import { StuderXcomClient, type StuderClientStats } from './client.js';
import { toFloat32 } from './codec/frames.js';
import {
  CYCLE_PHASES,
  enumName,
  OPERATING_STATES,
  VARIOTRACK_MODELS,
  VT_INFO,
  XT_INFO,
  XT_PARAM,
  type StuderParameter,
} from './codec/objects.js';
import {
  operatingModeOf,
  planStuderCommand,
  STUDER_COMMAND_NAMES,
  STUDER_OPERATING_MODES,
  type StuderPlan,
} from './commands.js';
import {
  parseStuderConnection,
  STUDER_MIN_POLL_INTERVAL_MS,
  varioTrackAddresses,
  type StuderConnection,
} from './connection.js';
import { studerEntities } from './entities.js';

export const STUDER_DRIVER = 'studer';

/**
 * The project's commands a Studer takes: the charger's power, the inverter/charger switches, and
 * its own commands (`device_command`: STUDER_COMMAND_NAMES) for the currents in amps and each switch alone.
 */
const STUDER_COMMANDS: readonly CommandType[] = COMMAND_TYPES.filter(
  (t) => t === 'set_charge_limit' || t === 'set_operating_mode' || t === 'restore_normal' || t === 'device_command',
);

const PARAMETERS: readonly StuderParameter[] = [
  XT_PARAM.acInputCurrentLimit,
  XT_PARAM.inverterAllowed,
  XT_PARAM.chargerAllowed,
  XT_PARAM.chargeCurrent,
];

export interface StuderAdapterOptions {
  readonly id: string;
  /** Validated with `studerConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  /** Timestamps and availability (the add-on's clock). */
  readonly clock?: Clock;
  /** Request timeouts and gaps on the bus (default the system clock; unit tests may pass a ManualClock). */
  readonly timers?: Clock;
  /** Garbage a gateway sent, skipped (for a log line). */
  readonly onTransportProblem?: (problem: CanTransportProblem) => void;
  /** Test seam: the bus to use instead of opening one from the connection block. */
  readonly bus?: CanBus;
}

interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * One Studer installation on one Xcom-CAN: the Xtender and its VarioTrack(s), behind the project's
 * `Device`. connect() learns each writable parameter's min/max; read() polls the user infos and the
 * parameters one request at a time; execute() turns a command into parameter writes and, because
 * Studer parameters live in flash (endurance: about 1000 writes per parameter), reads each one
 * first and writes only a value that differs, after checking it against the device's own range.
 */
export class StuderAdapter implements Device {
  readonly driver = STUDER_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  readonly id: string;
  readonly connection: StuderConnection;
  private readonly clock: Clock;
  private readonly timers: Clock;
  private readonly availability: AvailabilityReporter;
  private readonly options: StuderAdapterOptions;
  private client: StuderXcomClient | null = null;
  private description: DeviceDescription | null = null;
  private ranges = new Map<StuderParameter, Range>();
  private commandQueue: Promise<unknown> = Promise.resolve();

  constructor(options: StuderAdapterOptions) {
    this.options = options;
    this.id = options.id;
    this.connection = parseStuderConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
  }

  /** The client's counters (requests, retries, timeouts, stray answers), for diagnostics and tests. */
  get busStats(): StuderClientStats | null {
    return this.client?.stats ?? null;
  }

  async connect(): Promise<void> {
    try {
      await this.client?.close();
      const c = this.connection;
      const bus =
        this.options.bus ??
        openCanBus(c, {
          clock: this.timers,
          ...(this.options.onTransportProblem === undefined ? {} : { onProblem: this.options.onTransportProblem }),
        });
      const client = new StuderXcomClient({
        bus,
        sourceAddress: c.source_address,
        timers: this.timers,
        timeoutMs: c.timeout_ms,
        minGapMs: c.min_gap_ms,
      });
      this.client = client;
      await client.open();
      const ranges = new Map<StuderParameter, Range>();
      for (const parameter of PARAMETERS) {
        const min = await client.readParameter(c.xtender_address, parameter, 'min');
        const max = await client.readParameter(c.xtender_address, parameter, 'max');
        ranges.set(parameter, { min, max });
      }
      const models: string[] = [];
      for (const address of varioTrackAddresses(c)) {
        models.push(enumName(VARIOTRACK_MODELS, await client.readUserInfo(address, VT_INFO.model)));
      }
      this.ranges = ranges;
      this.description = this.buildDescription(models);
      this.availability.report(true);
    } catch (err) {
      await this.client?.close().catch(() => undefined);
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    const client = this.connected();
    const c = this.connection;
    try {
      const xt = async (info: number): Promise<number> => client.readUserInfo(c.xtender_address, info);
      const param = async (p: StuderParameter): Promise<number> => client.readParameter(c.xtender_address, p, 'flash');
      const voltage = await xt(XT_INFO.batteryVoltage);
      const temperature = await xt(XT_INFO.batteryTemperature);
      const xtCurrent = await xt(XT_INFO.batteryChargeCurrent);
      const soc = await xt(XT_INFO.stateOfCharge);
      const phase = await xt(XT_INFO.batteryCyclePhase);
      const acInV = await xt(XT_INFO.acInputVoltage);
      const relay = await xt(XT_INFO.transferRelay);
      const acOutV = await xt(XT_INFO.acOutputVoltage);
      const state = await xt(XT_INFO.operatingState);
      const acOutKw = await xt(XT_INFO.acOutputActivePower);
      const acInKw = await xt(XT_INFO.acInputActivePower);
      const inputLimit = await param(XT_PARAM.acInputCurrentLimit);
      const inverterAllowed = (await param(XT_PARAM.inverterAllowed)) >= 0.5;
      const chargerAllowed = (await param(XT_PARAM.chargerAllowed)) >= 0.5;
      const chargerCurrent = await param(XT_PARAM.chargeCurrent);
      let vtCurrent = 0;
      let pvKw = 0;
      let todayKwh = 0;
      let totalMwh = 0;
      for (const address of varioTrackAddresses(c)) {
        vtCurrent += await client.readUserInfo(address, VT_INFO.batteryCurrent);
        pvKw += await client.readUserInfo(address, VT_INFO.pvPower);
        todayKwh += await client.readUserInfo(address, VT_INFO.productionToday);
        totalMwh += await client.readUserInfo(address, VT_INFO.productionTotal);
      }
      // Studer counts charging as +; the project counts discharging as +. The battery's net current
      // is what the Xtender puts in (or takes out) plus what the VarioTracks charge.
      const batteryCurrent = 0 - (xtCurrent + vtCurrent);
      const values = {
        battery_voltage: round(voltage, 2),
        battery_current: round(batteryCurrent, 2),
        battery_power: Math.round(voltage * batteryCurrent) || 0,
        battery_soc: round(soc, 1),
        battery_temperature: round(temperature, 1),
        battery_cycle_phase: enumName(CYCLE_PHASES, phase),
        ac_input_voltage: round(acInV, 1),
        ac_input_power: Math.round(acInKw * 1000),
        ac_output_voltage: round(acOutV, 1),
        ac_output_power: Math.round(acOutKw * 1000),
        load_power: Math.round(acOutKw * 1000),
        transfer_relay_closed: relay >= 0.5,
        operating_state: enumName(OPERATING_STATES, state),
        pv_power: Math.round(pvKw * 1000),
        pv_energy_today: Math.round(todayKwh * 1000),
        pv_energy: Math.round(totalMwh * 1_000_000),
        charger_current: round(chargerCurrent, 1),
        ac_input_current_limit: round(inputLimit, 1),
        inverter_allowed: inverterAllowed,
        charger_allowed: chargerAllowed,
        xtender_mode: operatingModeOf(inverterAllowed, chargerAllowed),
        max_charge_power: Math.round(chargerCurrent * c.battery_nominal_voltage),
      };
      this.availability.report(true);
      return { timestamp: this.clock.now(), values };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  /**
   * The project's commands (already through the safety guard): set_charge_limit, set_operating_mode,
   * restore_normal, and the Studer's own (`device_command`, see commands.ts). There is no other way
   * in: a Studer write goes wherever the caller's guard sends it, never around it.
   */
  execute(input: Command): Promise<CommandOutcome> {
    return this.enqueue(() => {
      const command = parseDeviceCommand(input);
      if (!STUDER_COMMANDS.includes(command.type)) {
        throw new DeviceError('unsupported', `${command.type}: a Studer Xtender takes no such command over Xcom-CAN`);
      }
      return { command, plan: planStuderCommand(command, this.connection.battery_nominal_voltage) };
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close();
  }

  /**
   * Commands run one after another: each is a read-compare-write sequence, and two interleaved
   * could each skip a write the other was about to undo.
   */
  private enqueue(prepare: () => { command: Command; plan: StuderPlan }): Promise<CommandOutcome> {
    const run = this.commandQueue.then(async () => {
      const client = this.connected();
      const { command, plan } = prepare();
      const writes = await this.apply(client, plan);
      return { command, applied: plan.applied, writes };
    });
    this.commandQueue = run.catch(() => undefined);
    return run;
  }

  /** Every value checked against the device's range first (none reaches the bus if one is out), then read, compared, written. */
  private async apply(client: StuderXcomClient, plan: StuderPlan): Promise<number> {
    const address = this.connection.xtender_address;
    for (const { parameter, value } of plan.writes) {
      const range = this.ranges.get(parameter);
      if (range !== undefined && (value < range.min || value > range.max)) {
        throw new DeviceError(
          'rejected',
          `parameter ${parameter}: ${value} is outside the Xtender's range ${range.min}..${range.max}`,
        );
      }
    }
    let writes = 0;
    try {
      for (const { parameter, value } of plan.writes) {
        const wanted = toFloat32(value);
        const current = await client.readParameter(address, parameter, 'flash');
        if (current === wanted) continue;
        const echoed = await this.write(client, parameter, wanted);
        writes++;
        if (echoed !== wanted) {
          throw new DeviceError(
            'bad_response',
            `parameter ${parameter}: wrote ${wanted}, the Xtender echoed ${echoed}`,
          );
        }
      }
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
    return writes;
  }

  /**
   * One flash write. When its answer never comes the write may still have happened, so the
   * parameter is read back rather than written again: the value there is the answer.
   */
  private async write(client: StuderXcomClient, parameter: StuderParameter, value: number): Promise<number> {
    const address = this.connection.xtender_address;
    try {
      return await client.writeParameter(address, parameter, value, 'flash');
    } catch (err) {
      if (!(err instanceof DeviceError) || err.kind !== 'timeout') throw err;
      const now = await client.readParameter(address, parameter, 'flash');
      if (now === value) return now;
      throw err;
    }
  }

  private connected(): StuderXcomClient {
    if (this.client === null || this.description === null || !this.client.isOpen) {
      throw new DeviceError('not_connected', `${this.id} is not connected`);
    }
    return this.client;
  }

  private buildDescription(varioTracks: readonly string[]): DeviceDescription {
    const c = this.connection;
    const charge = this.ranges.get(XT_PARAM.chargeCurrent);
    const limits: DeviceLimits =
      charge === undefined ? {} : { maxChargeW: Math.round(charge.max * c.battery_nominal_voltage) };
    const vts = varioTracks.length === 0 ? '' : ` + ${varioTracks.join(', ')}`;
    return {
      info: {
        manufacturer: 'Studer Innotec',
        model: `Xtender${vts}`,
        serial: `xtender ${c.xtender_address} on ${this.client?.label ?? c.interface}`,
        hardware: `Xcom-CAN; Xtender ${c.xtender_address}${varioTracks.length > 0 ? `, VarioTrack ${varioTrackAddresses(c).join(',')}` : ''}`,
      },
      entities: studerEntities({
        limits,
        nominalVoltage: c.battery_nominal_voltage,
        chargerCurrent: this.ranges.get(XT_PARAM.chargeCurrent),
        acInputCurrentLimit: this.ranges.get(XT_PARAM.acInputCurrentLimit),
      }),
      capabilities: {
        commands: STUDER_COMMANDS,
        limits,
        operatingModes: STUDER_OPERATING_MODES,
        minPollIntervalMs: STUDER_MIN_POLL_INTERVAL_MS,
        deviceCommands: STUDER_COMMAND_NAMES.map((name) =>
          name === 'set_charger_current'
            ? { name, chargeCurrent: { field: 'amps', nominalVoltageV: c.battery_nominal_voltage } }
            : { name },
        ),
      },
    };
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f || 0;
}
