import {
  parseDeviceCommand,
  AvailabilityReporter,
  COMMAND_TYPES,
  DeviceError,
  systemClock,
  TypedEmitter,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type DeviceLimits,
  type ReadingSet,
} from '@sps/core';
import { isIllegalAddress, SigenergyModbusClient } from './client.js';
import { decodeInverterIdentity, decodeInverterPv, type SigenergyInverterIdentity } from './codec/inverter.js';
import { decodePlantRatings, decodePlantReadings, type PlantBlocks, type PlantRatings } from './codec/plant.js';
import { RegisterBlock } from './codec/register-block.js';
import { SIGENERGY_OPERATING_MODES } from './codec/states.js';
import { planCommand } from './command-plan.js';
import {
  inverterUnitIds,
  parseSigenergyConnection,
  SIGENERGY_INTER_MESSAGE_DELAY_MS,
  SIGENERGY_MIN_POLL_INTERVAL_MS,
  type SigenergyConnection,
} from './connection.js';
import { sigenergyEntities } from './entities.js';
import {
  INVERTER_IDENTITY_BLOCK,
  INVERTER_PV_BLOCK,
  PLANT_BLOCKS,
  type BlockSpec,
  type PlantBlockName,
} from './registers.js';

export const SIGENERGY_DRIVER = 'sigenergy';

/** Something the adapter noticed that people should read in the log (not an error: reads go on). */
export interface SigenergyNotice {
  readonly level: 'warn' | 'info';
  readonly code: 'plant_pv_reads_zero' | 'plant_pv_reads_zero_cleared';
  readonly message: string;
  readonly details: Readonly<Record<string, number | null>>;
}

export interface SigenergyAdapterOptions {
  readonly id: string;
  /** Validated with `sigenergyConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  readonly clock?: Clock;
  /** Told once when a firmware quirk appears and once when it goes away (the add-on logs it). */
  readonly onNotice?: (notice: SigenergyNotice) => void;
}

/** Commands a SigenStor plant accepts through remote EMS (everything but relays). */
const SIGENERGY_COMMANDS = COMMAND_TYPES.filter((type) => type !== 'set_relay' && type !== 'device_command');

/**
 * A Sigenergy SigenStor (plant on unit 247, inverters on 1..n) behind the project's `Device`.
 *
 * connect() reads the plant's ratings (limits, capacity) and each inverter's identity; read()
 * polls the plant's blocks and each inverter's PV power, and reports the PV-reads-0 firmware
 * quirk; execute() drives remote EMS, reading each target register first and writing only what
 * differs (the plant's settings live in flash), then reading it back.
 */
export class SigenergyAdapter implements Device {
  readonly driver = SIGENERGY_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  readonly id: string;
  readonly connection: SigenergyConnection;
  private readonly availability: AvailabilityReporter;
  private readonly client: SigenergyModbusClient;
  private readonly clock: Clock;
  private readonly onNotice: ((notice: SigenergyNotice) => void) | undefined;
  private description: DeviceDescription | null = null;
  private inverters: SigenergyInverterIdentity[] = [];
  private connected = false;
  private readonly missingBlocks = new Set<PlantBlockName>();
  private readonly invertersWithoutPv = new Set<number>();
  private pvQuirkActive = false;
  private commandQueue: Promise<unknown> = Promise.resolve();

  constructor(options: SigenergyAdapterOptions) {
    this.id = options.id;
    this.connection = parseSigenergyConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.onNotice = options.onNotice;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.client = new SigenergyModbusClient({
      host: this.connection.host,
      port: this.connection.port,
      timeoutMs: this.connection.timeout_ms,
      interMessageDelayMs: SIGENERGY_INTER_MESSAGE_DELAY_MS,
    });
  }

  /** The inverters found at connect(), in unit-id order. */
  get inverterIdentities(): readonly SigenergyInverterIdentity[] {
    return this.inverters;
  }

  async connect(): Promise<void> {
    try {
      this.missingBlocks.clear();
      this.invertersWithoutPv.clear();
      await this.client.connect();
      const ratingsBlocks = await this.readPlantBlocks(PLANT_BLOCKS.filter((b) => !b.optional && b.table === 'input'));
      const ratings = decodePlantRatings(ratingsBlocks);
      const inverters: SigenergyInverterIdentity[] = [];
      for (const unit of inverterUnitIds(this.connection)) {
        const spec = INVERTER_IDENTITY_BLOCK;
        const words = await this.client.read(unit, spec.table, spec.start, spec.count);
        inverters.push(decodeInverterIdentity(unit, RegisterBlock.from(spec.start, words)));
      }
      this.inverters = inverters;
      this.description = this.buildDescription(ratings, inverters);
      this.connected = true;
      this.availability.report(true);
    } catch (err) {
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    this.assertConnected();
    try {
      const blocks = await this.readPlantBlocks(PLANT_BLOCKS);
      const inverterPv = await this.readInverterPv();
      const values = decodePlantReadings(blocks, inverterPv);
      this.noticeQuirk(values.firmware_quirk === 'plant_pv_reads_zero', values);
      this.availability.report(true);
      return { timestamp: this.clock.now(), values };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  /**
   * Commands run one after another: each is a read-compare-write sequence, and two interleaved
   * (a force and a restore at once) could each skip a write the other was about to undo.
   */
  execute(input: Command): Promise<CommandOutcome> {
    const run = this.commandQueue.then(() => this.executeNow(input));
    this.commandQueue = run.catch(() => undefined);
    return run;
  }

  private async executeNow(input: Command): Promise<CommandOutcome> {
    this.assertConnected();
    const command = parseDeviceCommand(input);
    const plan = planCommand(command, this.describe().capabilities.limits);
    const unit = this.connection.plant_unit_id;
    let writes = 0;
    try {
      for (const { register, words } of plan.writes) {
        if (sameWords(await this.readHolding(register, words.length), words)) continue;
        if (words.length === 1) await this.client.writeRegister(unit, register, words[0] as number);
        else await this.client.writeRegisters(unit, register, words);
        writes++;
        const after = await this.readHolding(register, words.length);
        if (!sameWords(after, words)) {
          throw new DeviceError(
            'rejected',
            `holding register ${register} reads ${after.join(',')} after writing ${words.join(',')}`,
          );
        }
      }
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
    return { command, applied: plan.applied, writes };
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.client.close();
  }

  private assertConnected(): void {
    if (!this.connected) throw new DeviceError('not_connected', `${this.id} is not connected`);
  }

  private async readHolding(register: number, count: number): Promise<number[]> {
    try {
      return await this.client.readHoldingRegisters(this.connection.plant_unit_id, register, count);
    } catch (err) {
      if (isIllegalAddress(err)) {
        throw new DeviceError('unsupported', `holding register ${register} is not available on this plant's firmware`);
      }
      throw err;
    }
  }

  /** Read each block from the plant; an optional block answered with exception 02 is left out (and skipped from now on). */
  private async readPlantBlocks(specs: readonly BlockSpec<PlantBlockName>[]): Promise<PlantBlocks> {
    const blocks: PlantBlocks = {};
    for (const spec of specs) {
      if (this.missingBlocks.has(spec.name)) continue;
      try {
        const words = await this.client.read(this.connection.plant_unit_id, spec.table, spec.start, spec.count);
        blocks[spec.name] = RegisterBlock.from(spec.start, words);
      } catch (err) {
        if (spec.optional && isIllegalAddress(err)) {
          this.missingBlocks.add(spec.name);
          continue;
        }
        throw err;
      }
    }
    return blocks;
  }

  /** Each inverter's PV power; a PV-only or older inverter without 31035 is left out from then on. */
  private async readInverterPv(): Promise<(number | null)[]> {
    const pv: (number | null)[] = [];
    for (const inverter of this.inverters) {
      if (this.invertersWithoutPv.has(inverter.unitId)) continue;
      const spec = INVERTER_PV_BLOCK;
      try {
        const words = await this.client.read(inverter.unitId, spec.table, spec.start, spec.count);
        pv.push(decodeInverterPv(RegisterBlock.from(spec.start, words)));
      } catch (err) {
        if (!isIllegalAddress(err)) throw err;
        this.invertersWithoutPv.add(inverter.unitId);
      }
    }
    return pv;
  }

  /** One notice when the plant's PV starts reading 0 against the inverters, one when it stops. */
  private noticeQuirk(active: boolean, values: Readonly<Record<string, unknown>>): void {
    if (active === this.pvQuirkActive) return;
    this.pvQuirkActive = active;
    const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
    const details = { plant_pv_power: num(values.plant_pv_power), inverter_pv_power: num(values.inverter_pv_power) };
    this.onNotice?.(
      active
        ? {
            level: 'warn',
            code: 'plant_pv_reads_zero',
            message:
              "the plant's PV power (30035) reads 0 while the inverters report PV (31035), a known firmware fault " +
              '(V100R001C21SPC108); pv_power comes from the inverters until it is fixed',
            details,
          }
        : {
            level: 'info',
            code: 'plant_pv_reads_zero_cleared',
            message: "the plant's PV power agrees with the inverters again; pv_power comes from the plant",
            details,
          },
    );
  }

  private buildDescription(ratings: PlantRatings, inverters: readonly SigenergyInverterIdentity[]): DeviceDescription {
    const limits = limitsFor(ratings);
    const first = inverters[0];
    const distinct = (pick: (i: SigenergyInverterIdentity) => string): string =>
      [...new Set(inverters.map(pick).filter((s) => s !== ''))].join(' / ');
    const model = distinct((i) => i.model) || 'SigenStor';
    const firmware = distinct((i) => i.firmware);
    const units = inverters.map((i) => i.unitId).join(',');
    return {
      info: {
        manufacturer: 'Sigenergy',
        model: inverters.length > 1 ? `${model} ×${inverters.length}` : model,
        serial: first?.serial || `plant@${this.connection.host}`,
        ...(firmware === '' ? {} : { firmware }),
        hardware: `plant unit ${this.connection.plant_unit_id}, inverter unit${inverters.length > 1 ? 's' : ''} ${units}`,
      },
      entities: sigenergyEntities(limits),
      capabilities: {
        commands: SIGENERGY_COMMANDS,
        limits,
        operatingModes: SIGENERGY_OPERATING_MODES,
        minPollIntervalMs: SIGENERGY_MIN_POLL_INTERVAL_MS,
      },
    };
  }
}

/** The plant's own ratings: ESS rated charge/discharge power, max active power (export), rated capacity. */
function limitsFor(r: PlantRatings): DeviceLimits {
  const positive = (v: number | null): number | undefined => (v !== null && v > 0 ? v : undefined);
  const charge = positive(r.ratedChargeW);
  const discharge = positive(r.ratedDischargeW);
  const exportW = positive(r.maxActivePowerW);
  const capacity = positive(r.capacityWh);
  return {
    ...(charge === undefined ? {} : { maxChargeW: charge }),
    ...(discharge === undefined ? {} : { maxDischargeW: discharge }),
    ...(exportW === undefined ? {} : { maxExportW: exportW }),
    minBackupReservePct: 0,
    maxBackupReservePct: 100,
    ...(capacity === undefined ? {} : { capacityWh: capacity }),
  };
}

function sameWords(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}
