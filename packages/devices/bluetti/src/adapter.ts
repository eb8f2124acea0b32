import type { Command } from '@sps/core';
import {
  parseDeviceCommand,
  AvailabilityReporter,
  DeviceError,
  systemClock,
  toDeviceError,
  TypedEmitter,
  type Clock,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
} from '@sps/core';
import { BluettiExceptionError, BluettiModbusClient } from './client.js';
import { decodeIdentity, type BluettiIdentity } from './codec/identity.js';
import { findModel, IDENTITY_LAYOUTS, pollBlocks, type BluettiModel, type ProtocolGeneration } from './codec/models.js';
import { decodeField } from './codec/fields.js';
import { decodeReadings } from './codec/readings.js';
import { RegisterImage } from './codec/registers.js';
import { planCommand } from './command-plan.js';
import { BLUETTI_POLLING, parseBluettiConnection, type BluettiConnection } from './connection.js';
import { bluettiEntities, operatingModes } from './entities.js';
import { normaliseAddress } from './gatt.js';
import { claimStation, releaseStation } from './station-locks.js';
import type { BleTransport } from './transport/ble-transport.js';
import { createBleTransport } from './transport/create-transport.js';

export const BLUETTI_DRIVER = 'bluetti';

export interface BluettiAdapterOptions {
  readonly id: string;
  /** Validated with `bluettiConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  /** Timestamps of readings; the system clock unless a test drives time. */
  readonly clock?: Clock;
  /** Use this link instead of the one `connection.transport` names (tests: InMemoryBleTransport). */
  readonly transport?: BleTransport;
  /**
   * Retries after a timeout or corrupt answer (default 2) and the gap between requests (default 50 ms
   * over a radio, none over the simulator's loopback tunnel).
   */
  readonly retries?: number;
  readonly requestGapMs?: number;
}

/**
 * A Bluetti power station behind the project's `Device` interface.
 *
 * connect() opens the BLE link, learns the model from the station's own identity registers
 * (V2 type register 110 first, then V1 register 10, as bluetti-bt-lib does) and picks that
 * model's register layout; read() polls the layout's blocks; execute() makes one FC6 write,
 * skipped when the state already matches. A dropped link is reported at once (availability)
 * and re-opened by the next read() or connect(). A station that encrypts its link is
 * reported as `unsupported` with the reason, never read.
 */
export class BluettiAdapter implements Device {
  readonly driver = BLUETTI_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  readonly id: string;
  readonly connection: BluettiConnection;
  private readonly clock: Clock;
  private readonly client: BluettiModbusClient;
  private readonly stationKey: string;
  private model: BluettiModel | null = null;
  private description: DeviceDescription | null = null;
  private connected = false;

  constructor(options: BluettiAdapterOptions) {
    this.id = options.id;
    this.connection = parseBluettiConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    const transport = options.transport ?? createBleTransport(this.connection);
    this.client = new BluettiModbusClient(transport, {
      timeoutMs: this.connection.timeout_ms,
      retries: options.retries ?? 2,
      // The gap paces a real radio's queue; the loopback tunnel to the simulator has none to pace, and a
      // gap measured on the wall clock would make a simulated week take days of real time.
      requestGapMs: options.requestGapMs ?? (this.connection.transport === 'tcp-sim' ? 0 : 50),
    });
    this.stationKey =
      this.connection.address !== undefined
        ? normaliseAddress(this.connection.address)
        : `${this.connection.host ?? ''}:${this.connection.port ?? ''}`;
    this.client.onLinkLost((reason) => this.availability.report(false, `connection lost: ${reason}`));
  }

  /** How many corrupt or lost answers were retried (diagnostics). */
  get retriedExchanges(): number {
    return this.client.retriedExchanges;
  }

  async connect(): Promise<void> {
    try {
      claimStation(this.stationKey, this.id);
      await this.client.open();
      const { model, identity } = await this.identify();
      this.model = model;
      this.description = this.buildDescription(model, identity);
      this.connected = true;
      this.availability.report(true);
    } catch (err) {
      const error = toDeviceError(err);
      this.connected = false;
      await this.client.close().catch(() => undefined);
      releaseStation(this.stationKey, this.id);
      this.availability.report(false, error.reason);
      throw error;
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    const model = this.requireModel();
    try {
      await this.reopenIfDropped();
      const image = new RegisterImage();
      for (const block of pollBlocks(model)) {
        image.add(block.start, await this.client.readRegisters(block.start, block.count));
      }
      const values = decodeReadings(model, image);
      this.availability.report(true);
      return { timestamp: this.clock.now(), values };
    } catch (err) {
      throw this.failed(err);
    }
  }

  async execute(input: Command): Promise<CommandOutcome> {
    const model = this.requireModel();
    const command = parseDeviceCommand(input);
    const plan = planCommand(command, model);
    try {
      await this.reopenIfDropped();
      const { write } = plan;
      // Spare the station's flash and the radio: read the state first, write only on a change.
      const current = await this.readState(model, write.stateKey);
      if (current === write.stateValue) return { command, applied: plan.applied, writes: 0 };
      // The station confirms an FC6 write by echoing it; a refusal comes back as an exception.
      await this.client.writeRegister(write.register, write.value);
      return { command, applied: plan.applied, writes: 1 };
    } catch (err) {
      throw this.failed(err);
    }
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.client.close();
    releaseStation(this.stationKey, this.id);
  }

  private requireModel(): BluettiModel {
    if (!this.connected || this.model === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
    return this.model;
  }

  /** The link dropped between polls: open it again (one connection, same station). */
  private async reopenIfDropped(): Promise<void> {
    if (this.client.isOpen) return;
    await this.client.open();
  }

  private async readState(model: BluettiModel, key: string): Promise<boolean | string | number | null> {
    const field = model.fields.find((f) => f.key === key);
    if (!field) return null;
    const [raw] = await this.client.readRegisters(field.register, 1);
    return raw === undefined ? null : decodeField(field.kind, raw);
  }

  private async identify(): Promise<{ model: BluettiModel; identity: BluettiIdentity }> {
    const override = this.connection.model === undefined ? undefined : findModel(this.connection.model);
    const order: ProtocolGeneration[] = override ? [override.generation] : ['v2', 'v1'];
    const seen: string[] = [];
    for (const generation of order) {
      const { start, count } = IDENTITY_LAYOUTS[generation].block;
      let image: RegisterImage;
      try {
        image = RegisterImage.from(start, await this.client.readRegisters(start, count));
      } catch (err) {
        // A station of the other generation may refuse this range; anything else is a real failure.
        if (err instanceof BluettiExceptionError) {
          seen.push(`register ${start}: exception ${err.exceptionCode}`);
          continue;
        }
        throw err;
      }
      const result = decodeIdentity(generation, image);
      if (!result.ok) {
        seen.push(`register ${start}: "${result.seen}"`);
        continue;
      }
      if (override) {
        // The user's model wins; what the station said is kept for diagnostics.
        return { model: override, identity: { ...result.identity, model: override.name } };
      }
      const model = findModel(result.identity.model);
      if (!model) {
        throw new DeviceError(
          'unsupported',
          `the Bluetti ${result.identity.model} is recognised but its register layout is not supported by this driver`,
        );
      }
      return { model, identity: result.identity };
    }
    if (override) {
      return {
        model: override,
        identity: { generation: override.generation, model: override.name, serial: 'unknown' },
      };
    }
    throw new DeviceError(
      'unsupported',
      `no Bluetti model name in the identity registers (${seen.join('; ')}); set the model option if this is a Bluetti`,
    );
  }

  private buildDescription(model: BluettiModel, identity: BluettiIdentity): DeviceDescription {
    const modes = operatingModes(model);
    return {
      info: {
        manufacturer: 'Bluetti',
        model: model.name,
        serial: identity.serial,
        ...(identity.firmware === undefined ? {} : { firmware: identity.firmware }),
        hardware: `IoT protocol ${identity.generation.toUpperCase()}`,
      },
      entities: bluettiEntities(model),
      capabilities: {
        commands: modes.length > 0 ? ['set_relay', 'set_operating_mode'] : ['set_relay'],
        limits: {
          // A station sits behind the transfer switch: it never exports.
          maxExportW: 0,
          ...(model.inverterW === undefined ? {} : { maxDischargeW: model.inverterW }),
          ...(model.capacityWh === undefined ? {} : { capacityWh: model.capacityWh }),
        },
        ...(modes.length > 0 ? { operatingModes: modes } : {}),
        minPollIntervalMs: BLUETTI_POLLING.minMs,
      },
    };
  }

  private failed(err: unknown): DeviceError {
    const error = toDeviceError(err);
    if (!error.isRefusal || this.client.encryptionDetected) this.availability.report(false, error.reason);
    return error;
  }
}
