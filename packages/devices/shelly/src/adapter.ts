import type { Command } from '@sps/core';
import {
  parseDeviceCommand,
  AvailabilityReporter,
  DeviceError,
  systemClock,
  TypedEmitter,
  type Clock,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
} from '@sps/core';
import { Gen1Backend, RpcBackend, type ShellyBackend } from './backend.js';
import { fetchDeviceInfo } from './client/device-info.js';
import type { HttpTarget } from './client/http.js';
import type { ShellyIdentity } from './codec/device-info.js';
import { selectChannels, stateToReadings } from './codec/readings.js';
import type { ShellyState } from './codec/state.js';
import { parseShellyConnection, SHELLY_POLL, type ShellyConnection } from './connection.js';
import { shellyEntities } from './entities.js';

export const SHELLY_DRIVER = 'shelly';

export interface ShellyAdapterOptions {
  readonly id: string;
  /** Validated with `shellyConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  readonly clock?: Clock;
}

/**
 * A Shelly relay or meter behind the project's `Device` interface.
 *
 * connect() asks `GET /shelly` (no auth needed) for the generation and identity, then reads the
 * status once to learn the channels and meters. Gen1 is polled over HTTP; Gen2+ speaks JSON-RPC,
 * over WebSocket by default so NotifyStatus pushes become `readings` events between polls.
 */
export class ShellyAdapter implements Device {
  readonly driver = SHELLY_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  private readonly availability: AvailabilityReporter;
  readonly connection: ShellyConnection;
  readonly id: string;
  private readonly clock: Clock;
  private readonly target: HttpTarget;
  private backend: ShellyBackend | null = null;
  private identity: ShellyIdentity | null = null;
  private description: DeviceDescription | null = null;
  private lastState: ShellyState | null = null;
  private connected = false;

  constructor(options: ShellyAdapterOptions) {
    this.id = options.id;
    this.connection = parseShellyConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.target = { host: this.connection.host, port: this.connection.port, timeoutMs: this.connection.timeout_ms };
  }

  /** Known after connect(). */
  get generation(): number | null {
    return this.identity?.generation ?? null;
  }

  async connect(): Promise<void> {
    this.connected = false;
    await this.dropBackend();
    try {
      const identity = await fetchDeviceInfo(this.target);
      this.checkGeneration(identity);
      const backend = this.createBackend(identity);
      this.backend = backend;
      const state = await backend.fetchState();
      this.checkChannels(state);
      this.identity = identity;
      this.lastState = state;
      this.description = this.buildDescription(identity, state);
      this.connected = true;
      this.availability.report(true);
    } catch (err) {
      await this.dropBackend();
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  async read(): Promise<ReadingSet> {
    const backend = this.requireBackend();
    try {
      const state = await backend.fetchState();
      this.lastState = state;
      this.availability.report(true);
      return this.toReadings(state);
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  async execute(input: Command): Promise<CommandOutcome> {
    const backend = this.requireBackend();
    const command = parseDeviceCommand(input);
    if (command.type !== 'set_relay') {
      throw new DeviceError('unsupported', `a Shelly relay cannot do ${command.type}; it only switches (set_relay)`);
    }
    const channel = command.channel ?? 0;
    const available = selectChannels(this.lastState?.switches ?? [], this.connection.channels ?? null).map(
      (s) => s.channel,
    );
    if (!available.includes(channel)) {
      throw new DeviceError(
        'rejected',
        available.length === 0
          ? 'channel: this Shelly has no relay'
          : `channel: ${channel} is not a configured relay channel (available: ${available.join(', ')})`,
      );
    }
    try {
      const { wasOn } = await backend.setRelay(channel, command.on);
      this.availability.report(true);
      return {
        command,
        applied: { channel, on: command.on, ...(wasOn === null ? {} : { was_on: wasOn }) },
        writes: 1,
      };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.dropBackend();
  }

  private requireBackend(): ShellyBackend {
    if (!this.connected || this.backend === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
    return this.backend;
  }

  private async dropBackend(): Promise<void> {
    const backend = this.backend;
    this.backend = null;
    if (backend !== null) await backend.close().catch(() => undefined);
  }

  private checkGeneration(identity: ShellyIdentity): void {
    const wanted = this.connection.generation;
    if (wanted === 'auto') return;
    const wantsGen1 = wanted === '1';
    if (wantsGen1 !== (identity.generation === 1)) {
      throw new DeviceError(
        'unsupported',
        `generation: configured ${wanted} but /shelly reports a Gen${identity.generation} device (${identity.model}); use generation auto`,
      );
    }
  }

  private createBackend(identity: ShellyIdentity): ShellyBackend {
    const options = { meterChannel: this.connection.meter_channel };
    const password = this.connection.password ?? null;
    if (identity.generation === 1) {
      const credentials = password === null ? null : { username: this.connection.username, password };
      return new Gen1Backend(this.target, credentials, identity, options);
    }
    const backend: RpcBackend = new RpcBackend(this.target, password, this.connection.transport, options, {
      onState: (state) => {
        if (this.backend !== backend || !this.connected) return;
        this.lastState = state;
        this.events.emit('readings', this.toReadings(state));
      },
      onDisconnect: (reason) => {
        if (this.backend !== backend || !this.connected) return;
        this.availability.report(false, reason.reason);
      },
    });
    return backend;
  }

  private checkChannels(state: ShellyState): void {
    const wanted = this.connection.channels;
    if (wanted === undefined) return;
    const present = state.switches.map((s) => s.channel);
    const missing = wanted.filter((c) => !present.includes(c));
    if (missing.length > 0) {
      throw new DeviceError(
        'unsupported',
        `channels: the device has no relay channel ${missing.join(', ')} (it has ${present.length === 0 ? 'none' : present.join(', ')})`,
      );
    }
  }

  private toReadings(state: ShellyState): ReadingSet {
    return { timestamp: this.clock.now(), values: stateToReadings(state, this.connection.channels ?? null) };
  }

  private buildDescription(identity: ShellyIdentity, state: ShellyState): DeviceDescription {
    const hasRelays = selectChannels(state.switches, this.connection.channels ?? null).length > 0;
    const model = identity.app === null ? identity.model : `${identity.app} (${identity.model})`;
    return {
      info: {
        manufacturer: 'Shelly',
        model,
        serial: identity.mac,
        ...(identity.firmware === null ? {} : { firmware: identity.firmware }),
        hardware: `Gen${identity.generation}`,
      },
      entities: shellyEntities(state, this.connection.channels ?? null),
      capabilities: {
        commands: hasRelays ? ['set_relay'] : [],
        limits: {},
        minPollIntervalMs: SHELLY_POLL.minMs,
      },
    };
  }
}
