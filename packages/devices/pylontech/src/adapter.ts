import { openCanBus, type CanBus, type CanConnection, type CanFrame } from '@sps/can';
import {
  AvailabilityReporter,
  DeviceError,
  systemClock,
  TypedEmitter,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
  type TimerHandle,
} from '@sps/core';
import { decodeBmsFrame, isBmsFrameId } from './codec/frames.js';
import { bmsReadings, rememberFrame, type BmsFrameSet } from './codec/readings.js';
import {
  parsePylontechConnection,
  PYLONTECH_KEEP_ALIVE_INTERVAL_MS,
  PYLONTECH_MIN_POLL_INTERVAL_MS,
  PYLONTECH_STALE_AFTER_MS,
  type PylontechConnection,
} from './connection.js';
import { pylontechEntities } from './entities.js';

export const PYLONTECH_DRIVER = 'pylontech';

/** The frames without which the BMS counts as gone: the inverter side of the protocol stops on them too. */
const REQUIRED = [
  { id: 0x351, name: '0x351 (limits)' },
  { id: 0x356, name: '0x356 (voltage/current)' },
] as const;

export interface PylontechAdapterOptions {
  readonly id: string;
  /** Validated with `pylontechConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  readonly clock?: Clock;
  /** How a connection block becomes a bus (default `openCanBus` of @sps/can; unit tests pass a virtual bus). */
  readonly openBus?: (connection: CanConnection, options: { clock: Clock }) => CanBus;
}

/** Counts of what the bus brought, for diagnostics (`sps read --json`, tests). */
export interface PylontechFrameStats {
  readonly decoded: number;
  /** BMS ids whose payload failed the codec (wrong DLC, value out of range). */
  readonly rejected: number;
  readonly lastRejection: string | null;
}

/**
 * A Pylontech-protocol lithium BMS (Pylontech, BYD, REC… sending the 0x351–0x35E frame set) behind the
 * project's `Device`. It listens: the reading set is the latest value of every frame. It never writes to
 * the battery (no commands); the only frame it may send is the inverter's 0x305 keep-alive.
 *
 * One bus carries one BMS stream: with several Pylontech modules daisy-chained, the master reports the
 * whole pack (module_count from 0x359). Separate packs on separate buses are separate devices.
 *
 * Availability: connect() waits for a burst (0x351 and 0x356 at least) for up to 3 s; after that, when
 * 0x351 or 0x356 has been missing for 3 s the device goes unavailable with that reason, and comes back
 * with the next frames.
 */
export class PylontechAdapter implements Device {
  readonly driver = PYLONTECH_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  readonly id: string;
  readonly connection: PylontechConnection;
  private readonly clock: Clock;
  private readonly availability: AvailabilityReporter;
  private readonly openBus: (connection: CanConnection, options: { clock: Clock }) => CanBus;
  private bus: CanBus | null = null;
  private unsubscribe: (() => void)[] = [];
  private frames: BmsFrameSet = {};
  private readonly lastSeen = new Map<number, number>();
  private linkLost: string | null = null;
  private replayEnded: string | null = null;
  private connected = false;
  private description: DeviceDescription | null = null;
  private keepAlive: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private keepAliveFailure: string | null = null;
  private stats = { decoded: 0, rejected: 0, lastRejection: null as string | null };
  /** Resolves connect()'s wait for the first burst; set only while connect() waits. */
  private burstWaiter: { done: (error: DeviceError | null) => void } | null = null;

  constructor(options: PylontechAdapterOptions) {
    this.id = options.id;
    this.connection = parsePylontechConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.openBus = options.openBus ?? openCanBus;
    this.availability = new AvailabilityReporter(this.events, this.clock);
  }

  get frameStats(): PylontechFrameStats {
    return { ...this.stats };
  }

  /** True while the bus is open (after connect() opened it, until it is closed or lost). */
  get listening(): boolean {
    return this.bus?.isOpen ?? false;
  }

  /** The bus label, e.g. "socketcand 127.0.0.1:29536 can0" (null before connect). */
  get busLabel(): string | null {
    return this.bus?.label ?? null;
  }

  async connect(): Promise<void> {
    this.connected = false;
    await this.closeBus();
    this.frames = {};
    this.lastSeen.clear();
    this.linkLost = null;
    this.replayEnded = null;
    this.keepAliveFailure = null;
    const bus = this.openBus(this.connection, { clock: this.clock });
    this.bus = bus;
    this.unsubscribe.push(
      bus.onFrame((frame) => this.onFrame(frame)),
      bus.onDown((reason) => this.onDown(reason)),
    );
    try {
      await bus.open();
      // close() (or another connect()) while the bus was opening: this attempt is over.
      if (this.bus !== bus) throw new DeviceError('not_connected', `${this.id} was closed while connecting`);
      // The keep-alive starts before the wait: some BMS send their burst only after an inverter's 0x305.
      if (this.connection.keep_alive) this.startKeepAlive(bus);
      await this.waitForBurst(bus.label);
      this.description = this.buildDescription(bus.label);
      this.connected = true;
      this.armWatchdog();
      this.availability.report(true);
    } catch (err) {
      // Only this attempt's bus: a later connect() may already own a new one.
      if (this.bus === bus) await this.closeBus();
      else await bus.close().catch(() => undefined);
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  read(): Promise<ReadingSet> {
    try {
      if (!this.connected || this.bus === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
      if (this.linkLost !== null) throw new DeviceError('connection_lost', this.linkLost);
      const stale = this.staleReason();
      if (stale !== null) throw new DeviceError('timeout', stale);
      this.availability.report(true);
      return Promise.resolve({ timestamp: this.clock.now(), values: bmsReadings(this.frames) });
    } catch (err) {
      return Promise.reject(this.availability.requestFailed(err));
    }
  }

  /** A BMS on CAN is read-only here: the driver never commands the battery. */
  execute(command: Command): Promise<CommandOutcome> {
    return Promise.reject(
      new DeviceError('unsupported', `${this.id}: a Pylontech-protocol BMS takes no commands (${command.type})`),
    );
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.closeBus();
  }

  private async closeBus(): Promise<void> {
    this.keepAlive?.cancel();
    this.keepAlive = undefined;
    this.watchdog?.cancel();
    this.watchdog = undefined;
    this.burstWaiter?.done(new DeviceError('not_connected', `${this.id} was closed while connecting`));
    for (const off of this.unsubscribe.splice(0)) off();
    const bus = this.bus;
    this.bus = null;
    if (bus !== null) await bus.close().catch(() => undefined);
  }

  private onFrame(frame: CanFrame): void {
    const result = decodeBmsFrame(frame);
    if (!result.ok) {
      // Other stations' frames (the inverter's 0x305, Victron's 0x37x) are not errors; a BMS id that fails is.
      if (isBmsFrameId(frame.id, frame.extended)) {
        this.stats.rejected++;
        this.stats.lastRejection = result.reason;
      }
      return;
    }
    this.stats.decoded++;
    rememberFrame(this.frames, result.frame);
    const now = this.clock.now();
    const repeated = this.lastSeen.has(frame.id);
    this.lastSeen.set(frame.id, now);
    if (this.burstWaiter !== null && repeated && this.hasRequired()) this.burstWaiter.done(null);
    if (this.connected && this.linkLost === null && this.staleReason() === null) this.availability.report(true);
  }

  private onDown(reason: string): void {
    // A replay that ended is not a lost battery: its last frames stay readable (`sps read` of a log
    // replayed as fast as possible reads them after the end) until they are stale, and the reason says why.
    if (this.connection.transport === 'candump') {
      this.replayEnded = reason;
      if (this.burstWaiter !== null && this.hasRequired()) this.burstWaiter.done(null);
      return;
    }
    this.linkLost = `CAN link lost: ${reason}`;
    this.burstWaiter?.done(new DeviceError('connection_lost', this.linkLost));
    if (this.connected) this.availability.report(false, new DeviceError('connection_lost', this.linkLost).reason);
  }

  private hasRequired(): boolean {
    return REQUIRED.every((r) => this.lastSeen.has(r.id));
  }

  /**
   * Wait until one whole burst has gone by (an id came again, so every id the BMS sends has been seen
   * once), or, for a BMS that sends the required frames only, until 3 s are up.
   */
  private waitForBurst(label: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.hasRequired()) waiter.done(null);
        else {
          const missing = REQUIRED.filter((r) => !this.lastSeen.has(r.id)).map((r) => r.name);
          waiter.done(
            new DeviceError(
              'timeout',
              `no ${missing.join(' or ')} frame within ${PYLONTECH_STALE_AFTER_MS} ms on ${label}` +
                (this.stats.lastRejection === null ? '' : ` (last bad frame: ${this.stats.lastRejection})`),
            ),
          );
        }
      }, PYLONTECH_STALE_AFTER_MS);
      const waiter = {
        done: (error: DeviceError | null): void => {
          if (this.burstWaiter !== waiter) return;
          this.burstWaiter = null;
          timer.cancel();
          if (error === null) resolve();
          else reject(error);
        },
      };
      this.burstWaiter = waiter;
    });
  }

  /** Why the readings are stale (0x351 or 0x356 missing for 3 s), or null. */
  private staleReason(): string | null {
    const now = this.clock.now();
    for (const { id, name } of REQUIRED) {
      const seen = this.lastSeen.get(id);
      if (seen === undefined || now - seen >= PYLONTECH_STALE_AFTER_MS) {
        const since = seen === undefined ? 'ever' : `${((now - seen) / 1000).toFixed(1)} s`;
        const why = this.replayEnded === null ? 'the BMS stopped sending' : this.replayEnded;
        return `no ${name} frame for ${since} on ${this.bus?.label ?? 'the bus'} (${why})`;
      }
    }
    return null;
  }

  /** Fires when the oldest required frame turns 3 s old; reports unavailable if nothing came since. */
  private armWatchdog(): void {
    this.watchdog?.cancel();
    const oldest = Math.min(...REQUIRED.map((r) => this.lastSeen.get(r.id) ?? this.clock.now()));
    const due = Math.max(0, oldest + PYLONTECH_STALE_AFTER_MS - this.clock.now());
    this.watchdog = this.clock.setTimeout(() => {
      this.watchdog = undefined;
      if (!this.connected) return;
      const stale = this.staleReason();
      if (stale !== null && this.linkLost === null) {
        this.availability.report(false, new DeviceError('timeout', stale).reason);
      }
      // Stale or not, look again: the next check is when the oldest frame we have turns 3 s old,
      // or, while silent, a second from now (so a returning BMS needs no timer of its own).
      if (stale === null) this.armWatchdog();
      else this.watchdog = this.clock.setTimeout(() => this.rearmAfterSilence(), 1000);
    }, due);
  }

  private rearmAfterSilence(): void {
    if (this.connected) this.armWatchdog();
  }

  private startKeepAlive(bus: CanBus): void {
    const send = (): void => {
      bus.send({ id: 0x305, extended: false, data: new Uint8Array(8) }).then(
        () => {
          this.keepAliveFailure = null;
        },
        (err: unknown) => {
          // Kept for diagnostics only: the frames' absence, not a failed keep-alive, makes the device unavailable.
          this.keepAliveFailure = err instanceof Error ? err.message : String(err);
        },
      );
    };
    send();
    this.keepAlive = this.clock.setInterval(send, PYLONTECH_KEEP_ALIVE_INTERVAL_MS);
  }

  /** Why the last keep-alive could not be sent (null while they go out, or when keep_alive is off). */
  get keepAliveProblem(): string | null {
    return this.keepAliveFailure;
  }

  private buildDescription(label: string): DeviceDescription {
    const readings = bmsReadings(this.frames);
    const maker = typeof readings.manufacturer === 'string' ? readings.manufacturer : 'unknown';
    const modules = typeof readings.module_count === 'number' ? readings.module_count : null;
    return {
      info: {
        manufacturer: displayManufacturer(maker),
        model: `Lithium BMS on CAN (${maker}${modules === null ? '' : `, ${modules} module${modules === 1 ? '' : 's'}`})`,
        // The frame set carries no serial number: the bus the BMS is on names it.
        serial: label,
        hardware: label,
      },
      entities: pylontechEntities(),
      capabilities: { commands: [], limits: {}, minPollIntervalMs: PYLONTECH_MIN_POLL_INTERVAL_MS },
    };
  }
}

/** "PYLON" is how a Pylontech names itself on the bus. */
function displayManufacturer(reported: string): string {
  if (/^PYLON/i.test(reported)) return 'Pylontech';
  return reported;
}
