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
import type { I2cBus } from './bus/i2c-bus.js';
import { openI2cBus, type BusOpener } from './bus/open-bus.js';
import { Ina260Client } from './client.js';
import { decodeConfig, desiredConfigWord, updatePeriodMs, type Ina260Config } from './codec/config.js';
import { checkIdentity, type Ina260Identity } from './codec/identity.js';
import { checkPower, decodeMeasurement, type Measurement } from './codec/measurement.js';
import { hex16 } from './codec/word.js';
import { parseIna260Connection, type Ina260Connection } from './connection.js';
import { EnergyIntegrator } from './energy.js';
import { ina260Entities } from './entities.js';
import { REGISTER } from './registers.js';

export const INA260_DRIVER = 'ina260';

/** Polling faster than this only re-reads the same conversion. */
export const INA260_MIN_POLL_MS = 500;

export interface Ina260AdapterOptions {
  readonly id: string;
  /** Validated with `ina260ConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  readonly clock?: Clock;
  /** A bus the caller owns (tests, a shared bus): used as is, never closed by the adapter. */
  readonly bus?: I2cBus;
  /** How to open the connection's bus when none is given; the adapter closes what it opened. */
  readonly openBus?: BusOpener;
  /** PV energy to continue from, Wh (e.g. restored from the store after a restart). */
  readonly initialEnergyWh?: number;
  /** Longest gap between readings that is still integrated into pv_energy, ms. */
  readonly maxIntegrationGapMs?: number;
}

/**
 * A TI INA260 measuring the PV input (P4) behind the project's `Device` interface.
 *
 * connect() checks the identity registers (a different chip is `unsupported`) and puts the
 * configuration register in continuous mode with the configured averaging, writing only when it
 * differs and reading it back. read() reads current, bus voltage and power, cross-checks the
 * power register with V × |I| (re-reading once; I2C has no checksum), and integrates pv_energy.
 * Each poll also re-reads the configuration: a chip that lost power comes back with defaults and
 * is configured again. After a failed poll the identity is checked again before trusting data.
 */
export class Ina260Adapter implements Device {
  readonly driver = INA260_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  readonly connection: Ina260Connection;
  readonly id: string;
  private readonly clock: Clock;
  private readonly openBus: BusOpener;
  private readonly givenBus: I2cBus | undefined;
  private readonly energy: EnergyIntegrator;
  private bus: I2cBus | null = null;
  private client: Ina260Client | null = null;
  private description: DeviceDescription | null = null;
  private configWord: number | null = null;
  private connected = false;
  private verifyIdentity = true;

  constructor(options: Ina260AdapterOptions) {
    this.id = options.id;
    this.connection = parseIna260Connection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.openBus = options.openBus ?? openI2cBus;
    this.givenBus = options.bus;
    this.energy = new EnergyIntegrator(options.initialEnergyWh ?? 0, options.maxIntegrationGapMs);
  }

  async connect(): Promise<void> {
    try {
      this.connected = false;
      const client = await this.openClient();
      const { identity, config } = await this.configure(client);
      this.description = this.buildDescription(identity, config);
      this.connected = true;
      this.energy.interrupt();
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
    const client = this.assertConnected();
    try {
      if (this.verifyIdentity) await this.configure(client);
      else await this.keepConfigured(client);
      const measurement = await this.readMeasurement(client);
      const timestamp = this.clock.now();
      const energyWh = this.energy.add(timestamp, measurement.powerW);
      this.availability.report(true);
      return {
        timestamp,
        values: {
          pv_voltage: measurement.voltageV,
          pv_current: measurement.currentA,
          pv_power: measurement.powerW,
          pv_energy: Number(energyWh.toFixed(4)),
          averaging: decodeConfig(this.configWord ?? 0).averaging,
        },
      };
    } catch (err) {
      const error = toDeviceError(err);
      // Whatever answers next time must prove again that it is our chip, configured.
      this.verifyIdentity = true;
      this.energy.interrupt();
      this.availability.report(false, error.reason);
      throw error;
    }
  }

  async execute(input: Command): Promise<CommandOutcome> {
    this.assertConnected();
    const command = parseDeviceCommand(input);
    throw new DeviceError('unsupported', `the INA260 is a sensor and takes no commands (got ${command.type})`);
  }

  async close(): Promise<void> {
    this.connected = false;
    this.client = null;
    const bus = this.bus;
    this.bus = null;
    if (bus !== null && bus !== this.givenBus) {
      try {
        await bus.close();
      } catch {
        // Closing a bus that already failed has nothing left to report.
      }
    }
  }

  /** pv_energy so far, Wh, for callers that persist it across restarts. */
  get energyWh(): number {
    return this.energy.wh;
  }

  private async openClient(): Promise<Ina260Client> {
    if (this.bus === null) {
      this.bus =
        this.givenBus ??
        (await this.openBus(this.connection.bus, {
          address: this.connection.address,
          clock: this.clock,
          host: this.connection.host,
          port: this.connection.port,
          timeoutMs: this.connection.timeout_ms,
        }));
    }
    this.client = new Ina260Client({
      bus: this.bus,
      address: this.connection.address,
      timeoutMs: this.connection.timeout_ms,
      clock: this.clock,
    });
    return this.client;
  }

  private assertConnected(): Ina260Client {
    if (!this.connected || this.client === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
    return this.client;
  }

  /** Identity, then the configuration register: continuous mode, the wanted averaging. */
  private async configure(client: Ina260Client): Promise<{ identity: Ina260Identity; config: Ina260Config }> {
    const manufacturer = await client.readWord(REGISTER.MANUFACTURER_ID);
    const die = await client.readWord(REGISTER.DIE_ID);
    const identity = checkIdentity(manufacturer, die, client.where);
    const config = await this.applyConfig(client, await client.readWord(REGISTER.CONFIGURATION));
    this.verifyIdentity = false;
    return { identity, config };
  }

  private async keepConfigured(client: Ina260Client): Promise<void> {
    const word = await client.readWord(REGISTER.CONFIGURATION);
    if (word !== this.configWord) await this.applyConfig(client, word);
  }

  /** Writes the configuration only when it differs, then reads it back to be sure it took. */
  private async applyConfig(client: Ina260Client, current: number): Promise<Ina260Config> {
    const averaging = this.connection.averaging;
    const wanted = desiredConfigWord(current, averaging === undefined ? {} : { averaging });
    if (wanted !== current) {
      await client.writeWord(REGISTER.CONFIGURATION, wanted);
      const after = await client.readWord(REGISTER.CONFIGURATION);
      if (after !== wanted) {
        throw new DeviceError(
          'rejected',
          `configuration register reads ${hex16(after)} after writing ${hex16(wanted)} at ${client.where}`,
        );
      }
    }
    this.configWord = wanted;
    return decodeConfig(wanted);
  }

  /**
   * Current, bus voltage, power; when the power register disagrees with V × |I| beyond
   * quantisation, read all three again once (a conversion may have landed between the reads);
   * a second disagreement means corrupted words: `bad_response`.
   */
  private async readMeasurement(client: Ina260Client): Promise<Measurement> {
    let detail = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      const measurement = decodeMeasurement({
        current: await client.readWord(REGISTER.CURRENT),
        busVoltage: await client.readWord(REGISTER.BUS_VOLTAGE),
        power: await client.readWord(REGISTER.POWER),
      });
      const check = checkPower(measurement);
      if (check.consistent) return measurement;
      detail =
        `power register ${measurement.powerW} W disagrees with ${measurement.voltageV} V × ` +
        `${Math.abs(measurement.currentA)} A = ${check.productW.toFixed(2)} W (±${check.toleranceW.toFixed(2)} W)`;
    }
    throw new DeviceError('bad_response', `${detail} at ${client.where}, twice`);
  }

  private buildDescription(identity: Ina260Identity, config: Ina260Config): DeviceDescription {
    return {
      info: {
        manufacturer: 'Texas Instruments',
        model: 'INA260',
        // The chip has no serial number: where it sits is what tells two of them apart.
        serial: `${this.bus?.name ?? 'i2c'}@0x${this.connection.address.toString(16)}`,
        hardware: `die ${hex16((identity.dieId << 4) | identity.revision)} (revision ${identity.revision})`,
      },
      entities: ina260Entities(),
      capabilities: {
        commands: [],
        limits: {},
        minPollIntervalMs: Math.max(INA260_MIN_POLL_MS, Math.ceil(updatePeriodMs(config))),
      },
    };
  }
}
