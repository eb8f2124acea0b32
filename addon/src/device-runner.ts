import type { SafetyGuard } from '@sps/control';
import {
  CommandRejectedError,
  DeviceError,
  toDeviceError,
  type Availability,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type TimerHandle,
} from '@sps/core';
import type { ReadingHub } from './hub.js';
import type { Logger } from './logger.js';
import type { DeviceConfig } from './options.js';

/** Longest wait between reconnect attempts. */
export const MAX_BACKOFF_MS = 60_000;

export interface CommandResult extends CommandOutcome {
  /** Set when an identical command was sent moments ago and this one was not written again. */
  readonly skipped?: 'duplicate';
}

export interface DeviceRunnerDeps {
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told of every command the device accepted through `executeChecked` or `restoreNormal`. */
  readonly onApplied?: (deviceId: string, command: Command) => void;
}

/**
 * Keeps one device connected and polled: reconnects with exponential backoff, reports
 * availability with the device's own reason, and runs commands one at a time with the
 * polls so a request never interleaves with another on the device's transport.
 */
export class DeviceRunner {
  private connected = false;
  private stopped = false;
  private failures = 0;
  /** No more polls (shutdown): the device stays open for the hand-back's writes. */
  private quiet = false;
  private timer: TimerHandle | undefined;
  private pollRunning = false;
  private queue: Promise<unknown> = Promise.resolve();
  private currentAvailability: Availability;
  private currentDescription: DeviceDescription | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;

  constructor(
    readonly config: DeviceConfig,
    private readonly device: Device,
    private readonly deps: DeviceRunnerDeps,
  ) {
    this.log = deps.logger.child({ device: config.id });
    this.currentAvailability = { available: false, reason: 'connecting', since: deps.clock.now() };
  }

  get availability(): Availability {
    return this.currentAvailability;
  }

  /** Known after the first successful connection. */
  get description(): DeviceDescription | undefined {
    return this.currentDescription;
  }

  /**
   * A poll (connect and read) is under way: device I/O in flight, finished by the device's answer or by its
   * transport's own timeout. Whoever drives the clock by hand (the soak test) waits for it before moving time on.
   */
  get polling(): boolean {
    return this.pollRunning;
  }

  get pollIntervalMs(): number {
    return Math.max(this.config.pollIntervalMs, this.currentDescription?.capabilities.minPollIntervalMs ?? 0);
  }

  start(): void {
    this.deps.hub.publishAvailability(this.config.id, this.currentAvailability);
    this.unsubscribe.push(
      this.device.events.on('readings', (readings) => this.deps.hub.publishReadings(this.config.id, readings)),
      this.device.events.on('availability', (availability) => {
        // The transport saw the device go away between polls: reconnect on the next attempt.
        if (!availability.available) {
          this.connected = false;
          this.setAvailability(false, availability.reason ?? 'connection lost');
        } else if (!this.connected && this.timer !== undefined && !this.stopped && !this.quiet) {
          // It saw the device come back while we wait out a back-off (HA's entities after HA restarted): try now.
          this.schedule(0);
        }
      }),
    );
    this.schedule(0);
  }

  /** Validate against the safety guard, ration writes, then send. Throws CommandRejectedError or DeviceError. */
  async execute(input: unknown): Promise<CommandResult> {
    this.assertNotStopping();
    const description = this.currentDescription;
    if (!description || !this.connected) {
      throw new DeviceError('not_connected', this.currentAvailability.reason ?? 'the device is not connected');
    }
    const soc = this.deps.hub.latest(this.config.id)?.values['battery_soc'];
    const command = this.deps.guard.check(
      input,
      description.capabilities,
      typeof soc === 'number' ? { batterySocPct: soc } : {},
    );
    const written = await this.deps.guard
      .write(this.config.id, command, () => this.exclusive(() => this.device.execute(command)))
      .catch((err: unknown) => {
        throw err instanceof CommandRejectedError ? err : this.noteCommandFailure(command, toDeviceError(err));
      });
    if (written.status === 'duplicate') {
      this.log.debug({ command }, 'identical command sent moments ago; not written again');
      return { command, applied: {}, writes: 0, skipped: 'duplicate' };
    }
    if (written.status === 'joined') {
      // An identical command was in flight: its outcome is this one's, and it cost this caller nothing.
      return { command, applied: written.outcome.applied, writes: 0, skipped: 'duplicate' };
    }
    const outcome = written.outcome;
    this.log.info({ command, writes: outcome.writes }, 'command applied');
    // Show the effect promptly instead of waiting a whole poll interval.
    if (!this.stopped) this.schedule(250);
    return outcome;
  }

  /**
   * Send a command that has already passed the SafetyGuard's checks and been given its slot by
   * `guard.write` (the optimiser's controller clamps and reserves its own writes): going through
   * `execute` again would count every write twice. Still serialised with the polls, so it never
   * interleaves on the transport.
   */
  async executeChecked(command: Command): Promise<CommandOutcome> {
    this.assertNotStopping();
    if (!this.currentDescription || !this.connected) {
      throw new DeviceError('not_connected', this.currentAvailability.reason ?? 'the device is not connected');
    }
    const outcome = await this.exclusive(() => this.device.execute(command)).catch((err: unknown) => {
      throw this.noteCommandFailure(command, toDeviceError(err));
    });
    this.log.info({ command, writes: outcome.writes }, 'optimiser command applied');
    this.deps.onApplied?.(this.config.id, command);
    if (!this.stopped) this.schedule(250);
    return outcome;
  }

  /**
   * A driver-specific operation of the optimiser that is not a `Command` (the Powerwall's tariff
   * sync), with the same checks as `executeChecked` and serialised with the polls.
   */
  async withDevice<T>(operation: (device: Device) => Promise<T>): Promise<T> {
    this.assertNotStopping();
    if (!this.currentDescription || !this.connected) {
      throw new DeviceError('not_connected', this.currentAvailability.reason ?? 'the device is not connected');
    }
    const result = await this.exclusive(() => operation(this.device));
    if (!this.stopped) this.schedule(250);
    return result;
  }

  /**
   * One attempt to hand the device back to its own mode (the hand-back's write). It does not pass
   * `guard.write`: the controller's own restore already holds a slot there and waits on this very
   * call (an identical command in flight would join itself), and no limit or budget may hold a
   * restore back anyway. Its cost in flash is bounded by the hand-back's back-off and by adapters
   * that read before they write. Reconnects first when the link is down (polling may be stopped
   * during shutdown), and is serialised with the polls like every other device operation.
   */
  async restoreNormal(): Promise<CommandOutcome> {
    if (this.stopped) throw new DeviceError('not_connected', 'the device runner is stopped');
    const command: Command = { type: 'restore_normal' };
    const outcome = await this.exclusive(async () => {
      if (!this.connected) await this.connect();
      return this.device.execute(command);
    }).catch((err: unknown) => {
      throw this.noteCommandFailure(command, toDeviceError(err));
    });
    // A later identical force must not be skipped as a duplicate of the one this ended.
    this.deps.guard.forgetLastWrite(this.config.id);
    this.log.info({ writes: outcome.writes }, 'handed back to its own mode');
    this.deps.onApplied?.(this.config.id, command);
    if (!this.stopped && !this.quiet) this.schedule(250);
    return outcome;
  }

  /**
   * Stop polling but keep the device open (shutdown: the hand-back still needs the link). From now
   * on only restoreNormal reaches the device: a late optimiser decision or HA action must not force
   * it again after the hand-back.
   */
  quiesce(): void {
    this.quiet = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Poll at once instead of waiting for the interval (HA's sync_now); the cadence continues from here. */
  async pollNow(): Promise<Availability> {
    if (this.stopped) return this.currentAvailability;
    this.timer?.cancel();
    this.timer = undefined;
    await this.poll();
    return this.currentAvailability;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    await this.queue.catch(() => undefined);
    await this.device.close().catch((err: unknown) => this.log.debug({ err }, 'close failed'));
    this.connected = false;
  }

  private assertNotStopping(): void {
    if (this.quiet) throw new DeviceError('not_connected', 'the add-on is stopping; only the hand-back may write');
  }

  private noteCommandFailure(command: Command, err: DeviceError): DeviceError {
    this.log.warn({ command, reason: err.reason }, 'command failed');
    // A refusal or a busy answer means the link works; anything else means reconnect first.
    if (!err.deviceAnswered) {
      this.connected = false;
      this.setAvailability(false, err.reason);
      this.deps.guard.forgetLastWrite(this.config.id);
    }
    return err;
  }

  private schedule(delayMs: number): void {
    if (this.quiet) return;
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.quiet) return;
    this.pollRunning = true;
    try {
      await this.pollOnce();
    } finally {
      this.pollRunning = false;
    }
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.exclusive(async () => {
        if (this.stopped) return;
        if (!this.connected) await this.connect();
        const readings = await this.device.read();
        if (this.stopped) return;
        this.deps.hub.publishReadings(this.config.id, readings);
      });
      this.failures = 0;
      if (!this.stopped) this.setAvailability(true);
      if (!this.stopped && this.timer === undefined) this.schedule(this.pollIntervalMs);
    } catch (raw) {
      if (this.stopped) return;
      const err = toDeviceError(raw);
      this.failures += 1;
      this.setAvailability(false, err.reason);
      // A half-open transport is worse than a fresh one: start the next attempt from scratch.
      this.connected = false;
      await this.device.close().catch(() => undefined);
      if (!this.stopped) this.schedule(this.backoffMs());
    }
  }

  private async connect(): Promise<void> {
    await this.device.connect();
    this.currentDescription = this.device.describe();
    this.connected = true;
    // After a reconnect the device's state is unknown: allow the last command again.
    this.deps.guard.forgetLastWrite(this.config.id);
    this.log.info({ model: this.currentDescription.info.model }, 'connected');
  }

  /** poll interval × 2^(failures−1), capped at a minute. */
  private backoffMs(): number {
    const exponent = Math.min(this.failures - 1, 16);
    return Math.min(MAX_BACKOFF_MS, Math.max(1000, this.pollIntervalMs) * 2 ** exponent);
  }

  private setAvailability(available: boolean, reason?: string): void {
    const previous = this.currentAvailability;
    if (previous.available === available && previous.reason === reason) return;
    const since = previous.available === available ? previous.since : this.deps.clock.now();
    this.currentAvailability = { available, ...(reason === undefined ? {} : { reason }), since };
    if (available) this.log.info('available');
    else this.log.warn({ reason }, 'unavailable');
    this.deps.hub.publishAvailability(this.config.id, this.currentAvailability);
  }

  /** Run device I/O one operation at a time. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
