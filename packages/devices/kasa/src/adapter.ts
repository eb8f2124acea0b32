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
import { snapshotReadings } from './codec/readings.js';
import type { PlugSnapshot } from './codec/snapshot.js';
import { DEFAULT_PORTS, parseKasaConnection, type KasaConnection } from './connection.js';
import { createDialect, type PlugDialect } from './dialect.js';
import { kasaEntities } from './entities.js';
import { KlapTransport } from './transport/klap-transport.js';
import type { KasaTransport, TransportKind } from './transport/transport.js';
import { XorTransport } from './transport/xor-transport.js';

export const KASA_DRIVER = 'kasa';

export interface KasaPlugAdapterOptions {
  readonly id: string;
  /** Validated with `kasaConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  /** Timestamps of readings and KLAP session expiry; the system clock unless a test drives time. */
  readonly clock?: Clock;
}

/** Plugs are small Wi-Fi devices: once a second is the most we ask of them (KLAP costs a few more round trips). */
const MIN_POLL_MS: Record<TransportKind, number> = { xor: 1000, klap: 2000 };

/**
 * A TP-Link Kasa/Tapo plug behind the project's `Device` interface.
 *
 * connect() finds the transport (with `auto`: the legacy XOR protocol first, then KLAP),
 * learns the JSON dialect (XOR and KLAP v1 → IOT, KLAP v2 → SMART) and reads the plug once to
 * describe it (model, meter or not). read() polls relay state and meter. execute() accepts only
 * `set_relay` (channel 0): it reads the relay first, switches only when it differs, and reads it
 * back to confirm. Transports reconnect by themselves, so a plug that vanished is read again by
 * the next read() once it is back.
 */
export class KasaPlugAdapter implements Device {
  readonly driver = KASA_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  readonly connection: KasaConnection;
  readonly id: string;
  private readonly clock: Clock;
  private transport: KasaTransport | null = null;
  private dialect: PlugDialect | null = null;
  private description: DeviceDescription | null = null;

  constructor(options: KasaPlugAdapterOptions) {
    this.id = options.id;
    this.connection = parseKasaConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
  }

  /** The transport in use after connect(), e.g. to show what `auto` found. */
  get transportKind(): TransportKind | null {
    return this.transport?.kind ?? null;
  }

  async connect(): Promise<void> {
    try {
      await this.transport?.close();
      const { transport, dialect, first } = await this.open();
      this.transport = transport;
      this.dialect = dialect;
      this.description = this.buildDescription(first, transport.kind);
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
    const dialect = this.assertConnected();
    const snapshot = await this.guard(() => dialect.poll());
    return { timestamp: this.clock.now(), values: snapshotReadings(snapshot) };
  }

  async execute(input: Command): Promise<CommandOutcome> {
    const dialect = this.assertConnected();
    const command = parseDeviceCommand(input);
    if (command.type !== 'set_relay') {
      throw new DeviceError('unsupported', `a Kasa plug only switches its relay; ${command.type} is not possible`);
    }
    if ((command.channel ?? 0) !== 0) {
      throw new DeviceError('unsupported', `channel ${command.channel}: this plug has a single outlet (channel 0)`);
    }
    return this.guard(async () => {
      const before = await dialect.poll();
      if (before.relayOn === command.on) return { command, applied: { on: command.on }, writes: 0 };
      await dialect.setRelay(command.on);
      const after = await dialect.poll();
      if (after.relayOn !== command.on) {
        throw new DeviceError('rejected', `the relay still reads ${after.relayOn ? 'on' : 'off'} after switching it`);
      }
      return { command, applied: { on: command.on }, writes: 1 };
    });
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = null;
    this.dialect = null;
    await transport?.close();
  }

  private assertConnected(): PlugDialect {
    if (this.dialect === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
    return this.dialect;
  }

  /** Run one exchange; a failure that is not a refusal makes the plug unavailable, a success available. */
  private async guard<T>(job: () => Promise<T>): Promise<T> {
    try {
      const result = await job();
      this.availability.report(true);
      return result;
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  private async open(): Promise<{ transport: KasaTransport; dialect: PlugDialect; first: PlugSnapshot }> {
    const choice = this.connection.transport;
    if (choice !== 'auto') return this.openWith(choice);
    try {
      return await this.openWith('xor');
    } catch (xorErr) {
      const xorError = toDeviceError(xorErr);
      // A plug that answers XOR but refuses or says something odd is a XOR plug; only an unreachable
      // port (or one that speaks something else) means "try KLAP".
      if (xorError.isRefusal) throw xorError;
      try {
        return await this.openWith('klap');
      } catch (klapErr) {
        const klapError = toDeviceError(klapErr);
        throw new DeviceError(
          klapError.kind,
          `no transport worked — XOR on port ${this.portFor('xor')}: ${xorError.reason}; KLAP on port ${this.portFor('klap')}: ${klapError.reason}`,
          { cause: klapErr },
        );
      }
    }
  }

  private async openWith(kind: TransportKind) {
    const { host, timeout_ms: timeoutMs, username, password } = this.connection;
    const port = this.portFor(kind);
    const transport: KasaTransport =
      kind === 'xor'
        ? new XorTransport({ host, port, timeoutMs })
        : new KlapTransport({
            host,
            port,
            timeoutMs,
            clock: this.clock,
            ...(username === undefined ? {} : { username }),
            ...(password === undefined ? {} : { password }),
          });
    try {
      const dialect = createDialect(await transport.open(), transport, this.clock);
      const first = await dialect.poll();
      return { transport, dialect, first };
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  private portFor(kind: TransportKind): number {
    return this.connection.port ?? DEFAULT_PORTS[kind];
  }

  private buildDescription(first: PlugSnapshot, kind: TransportKind): DeviceDescription {
    const { identity } = first;
    return {
      info: {
        manufacturer: 'TP-Link',
        model: identity.model,
        serial: identity.serial,
        ...(identity.firmware === null ? {} : { firmware: identity.firmware }),
        hardware: [
          identity.hardware === null ? null : `hw ${identity.hardware}`,
          `${kind} transport, ${identity.dialect} dialect`,
        ]
          .filter((part) => part !== null)
          .join(', '),
      },
      entities: kasaEntities(first),
      capabilities: { commands: ['set_relay'], limits: {}, minPollIntervalMs: MIN_POLL_MS[kind] },
    };
  }
}
