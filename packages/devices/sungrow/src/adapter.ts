import type { Command } from '@sps/core';
import {
  parseDeviceCommand,
  AvailabilityReporter,
  DeviceError,
  systemClock,
  TypedEmitter,
  COMMAND_TYPES,
  type Clock,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type DeviceLimits,
  type ReadingSet,
} from '@sps/core';
import { isIllegalAddress, SungrowModbusClient } from './client.js';
import { decodeIdentity, type SungrowIdentity } from './codec/identity.js';
import { decodeReadings, type PollBlocks } from './codec/readings.js';
import { RegisterBlock, scale } from './codec/register-block.js';
import { planCommand, SUNGROW_OPERATING_MODES } from './command-plan.js';
import { parseSungrowConnection, TRANSPORT_PROFILE, type SungrowConnection } from './connection.js';
import { sungrowEntities } from './entities.js';
import { IDENTITY_BLOCKS, INPUT, POLL_BLOCKS, type BlockName, type BlockSpec } from './registers.js';

export const SUNGROW_DRIVER = 'sungrow-sh';

export interface SungrowShAdapterOptions {
  readonly id: string;
  /** Validated with `sungrowConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  /** Timestamps of readings; the system clock unless a test drives time. */
  readonly clock?: Clock;
}

/** Commands the SH accepts (everything but relays). */
const SUNGROW_COMMANDS = COMMAND_TYPES.filter((type) => type !== 'set_relay' && type !== 'device_command');

/**
 * A Sungrow SH-series hybrid inverter behind the project's `Device` interface.
 *
 * connect() reads the identity once (model, serial, firmware, nominal power → limits); read()
 * polls a few contiguous blocks and decodes them; optional blocks the transport lacks (WiNet-S:
 * exception 02) are remembered and skipped until the next connect(). execute() turns a command
 * into holding-register writes and spares the inverter's flash: each target register is read
 * first and only written when it differs, then read back to confirm.
 */
export class SungrowShAdapter implements Device {
  readonly driver = SUNGROW_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  readonly connection: SungrowConnection;
  private readonly client: SungrowModbusClient;
  private readonly clock: Clock;
  private description: DeviceDescription | null = null;
  private identity: SungrowIdentity | null = null;
  private connected = false;
  private readonly missingBlocks = new Set<BlockName>();
  /** Load energy is derived from five counters; never let rounding make it step backwards. */
  private lastLoadEnergy: number | null = null;

  constructor(options: SungrowShAdapterOptions) {
    this.id = options.id;
    this.connection = parseSungrowConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.client = new SungrowModbusClient({
      host: this.connection.host,
      port: this.connection.port,
      unitId: this.connection.unit_id,
      timeoutMs: this.connection.timeout_ms,
      interMessageDelayMs: TRANSPORT_PROFILE[this.connection.transport].interMessageDelayMs,
    });
  }

  readonly id: string;

  async connect(): Promise<void> {
    try {
      this.missingBlocks.clear();
      await this.client.connect();
      const identityBlocks = await this.readBlocks(IDENTITY_BLOCKS);
      const identityBlock = identityBlocks.identity as RegisterBlock;
      this.identity = decodeIdentity(identityBlock, identityBlocks.software);
      const poll = await this.readBlocks(POLL_BLOCKS.filter((b) => b.name === 'status' || b.name === 'battery_detail'));
      this.description = this.buildDescription(this.identity, poll);
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
      const blocks = await this.readBlocks(POLL_BLOCKS);
      const values = decodeReadings(blocks);
      const load = values.load_energy;
      if (typeof load === 'number') {
        if (this.lastLoadEnergy !== null && load < this.lastLoadEnergy) values.load_energy = this.lastLoadEnergy;
        this.lastLoadEnergy = values.load_energy as number;
      }
      this.availability.report(true);
      return { timestamp: this.clock.now(), values };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  async execute(input: Command): Promise<CommandOutcome> {
    this.assertConnected();
    const command = parseDeviceCommand(input);
    const plan = planCommand(command, this.describe().capabilities.limits);
    let writes = 0;
    try {
      for (const { register, value } of plan.writes) {
        if ((await this.readHolding(register)) === value) continue;
        await this.client.writeRegister(register, value);
        writes++;
        const after = await this.readHolding(register);
        if (after !== value) {
          throw new DeviceError('rejected', `holding register ${register} reads ${after} after writing ${value}`);
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

  private async readHolding(register: number): Promise<number> {
    try {
      const [value] = await this.client.readHoldingRegisters(register, 1);
      return value as number;
    } catch (err) {
      if (isIllegalAddress(err)) {
        throw new DeviceError('unsupported', `holding register ${register} is not available on this inverter`);
      }
      throw err;
    }
  }

  /** Read each block; an optional block answered with exception 02 is left out (and skipped from now on). */
  private async readBlocks(specs: readonly BlockSpec[]): Promise<PollBlocks> {
    const blocks: PollBlocks = {};
    for (const spec of specs) {
      if (this.missingBlocks.has(spec.name)) continue;
      try {
        const words = await this.client.read(spec.table, spec.start, spec.count);
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

  private buildDescription(identity: SungrowIdentity, blocks: PollBlocks): DeviceDescription {
    const limits = this.limitsFor(identity, blocks);
    const firmware = [identity.armSoftware, identity.dspSoftware].filter((s) => s !== null).join(' / ');
    return {
      info: {
        manufacturer: 'Sungrow',
        model: identity.model,
        serial: identity.serial,
        ...(firmware === '' ? {} : { firmware }),
        hardware: `type 0x${identity.deviceTypeCode.toString(16).toUpperCase().padStart(4, '0')}`,
      },
      entities: sungrowEntities(limits),
      capabilities: {
        commands: SUNGROW_COMMANDS,
        limits,
        operatingModes: SUNGROW_OPERATING_MODES,
        minPollIntervalMs: TRANSPORT_PROFILE[this.connection.transport].minPollIntervalMs,
      },
    };
  }

  /**
   * Battery power limits: the BDC (battery converter) rating from 5628 when the transport has it,
   * else the inverter's nominal power (5001 or the model table). Export is capped by nominal power.
   */
  private limitsFor(identity: SungrowIdentity, blocks: PollBlocks): DeviceLimits {
    const nominal = identity.nominalPowerW ?? undefined;
    const bdcRaw = blocks.battery_detail?.u16(INPUT.BDC_RATED_POWER) ?? null;
    const bdc = bdcRaw !== null && bdcRaw > 0 ? bdcRaw * 100 : undefined;
    const battery = bdc ?? nominal;
    const preciseCapacity = scale(blocks.battery_detail?.u16(INPUT.BATTERY_CAPACITY_PRECISE) ?? null, 10);
    const capacity = preciseCapacity ?? scale(blocks.status?.u16(INPUT.BATTERY_CAPACITY) ?? null, 100);
    return {
      ...(battery === undefined ? {} : { maxChargeW: battery, maxDischargeW: battery }),
      ...(nominal === undefined ? {} : { maxExportW: nominal }),
      minBackupReservePct: 0,
      maxBackupReservePct: 100,
      ...(capacity !== null && capacity > 0 ? { capacityWh: capacity } : {}),
    };
  }
}
