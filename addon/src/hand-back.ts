import { waitBeforeRetryMs } from '@sps/control';
import { CommandRejectedError, DeviceError, isoUtc, type Clock, type Command, type CommandOutcome } from '@sps/core';
import { z } from 'zod';
import type { Logger } from './logger.js';
import type { ProblemBoard } from './problems.js';
import type { StateStore } from './state-store.js';

/** Where the devices the add-on left forced are kept between restarts. */
export const HAND_BACK_NAMESPACE = 'hand_back';
export const HAND_BACK_KEY = 'forced';

/** First wait after a failed attempt; doubles up to `maxRetryMs`. */
export const DEFAULT_FIRST_RETRY_MS = 1000;
export const DEFAULT_MAX_RETRY_MS = 30_000;
/** While a deadline runs (shutdown) a failed attempt is tried again this soon at the latest. */
export const DEADLINE_RETRY_MS = 500;

const utc = z.iso.datetime({ offset: false });
const ForcedEntry = z.object({ command: z.string().min(1), since: utc });
type ForcedEntry = z.infer<typeof ForcedEntry>;
const ForcedDevices = z.record(z.string(), ForcedEntry);

/** How one hand-back ended. */
export type HandBackOutcome =
  /** The device confirmed its own mode (the adapter reads every register back after writing it). */
  | 'restored'
  /** The device refused for good (illegal value, unsupported): `restore_failed` is raised. */
  | 'refused'
  /** A newer command took the device over, or the hand-back was stopped; it stays recorded if still forced. */
  | 'cancelled'
  /** The deadline passed first (shutdown); still recorded, so the next start hands it back. */
  | 'out_of_time';

export interface DeviceHandBackDeps {
  readonly clock: Clock;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly problems: ProblemBoard;
  /** One restore_normal attempt on the device; throws DeviceError/CommandRejectedError. */
  readonly restoreNormal: (deviceId: string) => Promise<CommandOutcome>;
  /** Whether a device is still configured (a forced record of a removed device is dropped at start). */
  readonly isKnown?: (deviceId: string) => boolean;
  /** The name people know the device by, for problems; the id otherwise. */
  readonly deviceName?: (deviceId: string) => string;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
}

interface RestoreLoop {
  readonly done: Promise<HandBackOutcome>;
  /** Settles with the first attempt (the controller waits for this, never for the whole loop). */
  readonly firstAttempt: Promise<CommandOutcome>;
  deadline: number | undefined;
  cancel(outcome: HandBackOutcome): void;
  /** Try again now instead of after the back-off (the device came back, or a deadline was set). */
  wake(): void;
  /** Settle `firstAttempt` as failed if it has not settled (a no-op otherwise). */
  rejectFirst(err: unknown): void;
}

/**
 * The one way the add-on hands a device back to its own mode (restore_normal), and the most
 * persistent write it makes. Used by timed-override expiry, the optimiser's fallback and stop, and
 * shutdown.
 *
 * - It knows which devices the add-on left forced (every accepted force_charge/force_discharge or
 *   forced/hold mode, whoever sent it) and keeps that list in the state store, so a device that
 *   could not be handed back before the add-on exited is handed back first thing at the next start
 *   (with the `device_left_forced` problem standing meanwhile).
 * - Transient failures (timeouts, lost links, a device that is not connected, Modbus "busy"
 *   exceptions) are retried with exponential back-off, forever, and at once when the device
 *   becomes available again. Only a refusal that can never succeed ends the attempt, and raises
 *   `restore_failed`; both problems clear when the device is later back in its own mode.
 * - It never passes the SafetyGuard's write-rate limiter: nothing may hold a restore back.
 */
export class DeviceHandBack {
  private readonly forced = new Map<string, ForcedEntry>();
  private readonly loops = new Map<string, RestoreLoop>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly deps: DeviceHandBackDeps) {
    this.log = deps.logger.child({ component: 'hand-back' });
  }

  /** Load the devices left forced by the previous run and hand each back. */
  resume(): void {
    let stored: unknown;
    try {
      stored = this.deps.store.getState(HAND_BACK_NAMESPACE, HAND_BACK_KEY);
    } catch (err) {
      this.log.error({ err }, 'cannot read the devices left forced');
      return;
    }
    if (stored === undefined) return;
    const parsed = ForcedDevices.safeParse(stored);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.log.warn(
        { field: issue?.path.join('.') ?? '(root)', reason: issue?.message },
        'ignoring an unreadable list of devices left forced',
      );
      return;
    }
    for (const [deviceId, entry] of Object.entries(parsed.data)) this.leftForced(deviceId, entry.command, entry.since);
    this.persist();
  }

  /**
   * A device the previous run left forced (from the hand-back's own record, or an older record such
   * as a pending timed override): say so, and hand it back.
   */
  leftForced(deviceId: string, command: string, since: string = isoUtc(this.deps.clock.now())): void {
    if (this.deps.isKnown && !this.deps.isKnown(deviceId)) {
      this.log.warn({ device: deviceId, command }, 'a device left forced is no longer configured; forgetting it');
      this.forced.delete(deviceId);
      this.persist();
      return;
    }
    this.forced.set(deviceId, { command, since });
    this.persist();
    const device = this.name(deviceId);
    this.deps.problems.raise({
      id: leftForcedId(deviceId),
      severity: 'warning',
      message: `${device} was left in a forced mode (${command}) when the add-on last stopped; handing it back to its own mode.`,
      repair: { key: 'device_left_forced', placeholders: { device } },
    });
    void this.restore(deviceId, 'left forced when the add-on last stopped');
  }

  /** Every command a device accepted, from any source: keeps the forced list true. */
  noteApplied(deviceId: string, command: Command): void {
    if (forces(command)) {
      // A newer command owns the device now: a restore still retrying must not undo it.
      this.loops.get(deviceId)?.cancel('cancelled');
      const since = this.forced.get(deviceId)?.since ?? isoUtc(this.deps.clock.now());
      this.forced.set(deviceId, { command: describeCommand(command), since });
      this.persist();
      // This run forced it on purpose: what an earlier run or attempt left behind no longer applies.
      this.deps.problems.clear(leftForcedId(deviceId));
      this.deps.problems.clear(restoreFailedId(deviceId));
    } else if (endsForcing(command)) {
      this.settled(deviceId);
    }
  }

  /**
   * The add-on drives the device by something other than a forcing command (the optimiser's tariff
   * sync on a Powerwall): hand it back on stop and after a crash exactly like a forced one.
   */
  noteTakenOver(deviceId: string, what: string): void {
    this.loops.get(deviceId)?.cancel('cancelled');
    if (this.forced.get(deviceId)?.command === what) return;
    const since = this.forced.get(deviceId)?.since ?? isoUtc(this.deps.clock.now());
    this.forced.set(deviceId, { command: what, since });
    this.persist();
  }

  /** Devices the add-on has left forced, by id. */
  list(): ReadonlyMap<string, { readonly command: string; readonly since: string }> {
    return new Map(this.forced);
  }

  isForced(deviceId: string): boolean {
    return this.forced.has(deviceId);
  }

  /**
   * Hand one device back, retrying until it is back in its own mode, it refuses for good, a newer
   * command takes over, the hand-back stops, or `deadline` (epoch ms) passes. Joins a hand-back
   * already under way for the device.
   */
  restore(deviceId: string, why: string, deadline?: number): Promise<HandBackOutcome> {
    return this.loopFor(deviceId, why, deadline).done;
  }

  /**
   * For the optimiser: resolves or rejects with the first attempt, while a failed hand-back keeps
   * retrying in the background (the controller must not hang on a device that is down).
   */
  requestRestore(deviceId: string, why: string): Promise<CommandOutcome> {
    return this.loopFor(deviceId, why, undefined).firstAttempt;
  }

  /** The device answers again: a hand-back waiting out its back-off tries now. */
  deviceAvailable(deviceId: string): void {
    this.loops.get(deviceId)?.wake();
  }

  /**
   * Shutdown: every device left forced, in parallel, within `budgetMs`. What is not back in its
   * own mode by then stays recorded for the next start. Resolves with each device's outcome.
   */
  async handBackAll(budgetMs: number): Promise<ReadonlyMap<string, HandBackOutcome>> {
    const deadline = this.deps.clock.now() + budgetMs;
    const ids = [...this.forced.keys()];
    const outcomes = await Promise.all(ids.map((id) => this.restore(id, 'the add-on is stopping', deadline)));
    return new Map(ids.map((id, i) => [id, outcomes[i] as HandBackOutcome]));
  }

  /** Stop every retry; what is still forced stays recorded for the next start. */
  stop(): void {
    this.stopped = true;
    for (const loop of this.loops.values()) loop.cancel('cancelled');
  }

  private loopFor(deviceId: string, why: string, deadline: number | undefined): RestoreLoop {
    const running = this.loops.get(deviceId);
    if (running) {
      if (deadline !== undefined) {
        running.deadline = Math.min(running.deadline ?? deadline, deadline);
        running.wake();
      }
      return running;
    }
    const loop = this.startLoop(deviceId, why, deadline);
    this.loops.set(deviceId, loop);
    void loop.done.then((outcome) => {
      if (this.loops.get(deviceId) === loop) this.loops.delete(deviceId);
      // Cancelled before any attempt answered: whoever waits for the first one must not wait forever.
      loop.rejectFirst(new DeviceError('not_connected', `hand-back of ${deviceId} ended (${outcome})`));
    });
    return loop;
  }

  private startLoop(deviceId: string, why: string, initialDeadline: number | undefined): RestoreLoop {
    const { clock } = this.deps;
    const firstRetryMs = this.deps.firstRetryMs ?? DEFAULT_FIRST_RETRY_MS;
    const maxRetryMs = this.deps.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
    let cancelled: HandBackOutcome | null = this.stopped ? 'cancelled' : null;
    let wakeUp: (() => void) | null = null;
    let resolveFirst: (o: CommandOutcome) => void = () => undefined;
    let rejectFirst: (err: unknown) => void = () => undefined;
    const firstAttempt = new Promise<CommandOutcome>((resolve, reject) => {
      resolveFirst = resolve;
      rejectFirst = reject;
    });
    // Nobody may be listening (shutdown, expiry): a first failure is still not an unhandled rejection.
    firstAttempt.catch(() => undefined);
    const loop: RestoreLoop = {
      deadline: initialDeadline,
      done: Promise.resolve('cancelled'),
      firstAttempt,
      cancel: (outcome) => {
        cancelled ??= outcome;
        wakeUp?.();
      },
      wake: () => wakeUp?.(),
      rejectFirst: (err) => rejectFirst(err),
    };
    /** Wait `ms`, or less when woken, cancelled or the deadline comes. */
    const pause = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => done(), ms);
        const done = (): void => {
          timer.cancel();
          wakeUp = null;
          resolve();
        };
        wakeUp = done;
      });
    const outOfTime = (): boolean => loop.deadline !== undefined && clock.now() >= loop.deadline;

    const run = async (): Promise<HandBackOutcome> => {
      this.log.info({ device: deviceId, why }, 'handing the device back to its own mode');
      let delay = firstRetryMs;
      for (let attempt = 1; ; attempt++) {
        if (cancelled) return cancelled;
        if (outOfTime()) return 'out_of_time';
        const result: { outcome?: CommandOutcome; error?: unknown } = {};
        const request = this.deps.restoreNormal(deviceId);
        if (attempt === 1) request.then(resolveFirst, rejectFirst);
        const attemptDone = request.then(
          (o) => (result.outcome = o),
          (err: unknown) => (result.error = err ?? new Error('restore failed')),
        );
        // Wait for the attempt, but never past a deadline (a hanging device must not hold shutdown back).
        while (result.outcome === undefined && result.error === undefined) {
          if (cancelled) return cancelled;
          if (outOfTime()) return 'out_of_time';
          const ms = loop.deadline === undefined ? maxRetryMs : Math.max(0, loop.deadline - clock.now());
          await Promise.race([attemptDone, pause(ms)]);
          wakeUp?.(); // ends the pause if the attempt finished first
        }
        if (cancelled) return cancelled;
        if (result.outcome !== undefined) {
          this.log.info({ device: deviceId, attempts: attempt }, 'device back in its own mode');
          this.settled(deviceId);
          return 'restored';
        }
        const error = result.error;
        if (isPermanentRefusal(error)) {
          const reason = describe(error);
          const device = this.name(deviceId);
          this.log.error({ device: deviceId, reason }, 'the device refused to return to its own mode; giving up');
          this.deps.problems.raise({
            id: restoreFailedId(deviceId),
            severity: 'error',
            message: `${device} refused to return to its own mode (${reason}). Set it back to self-consumption on the device or in its app.`,
            repair: { key: 'restore_failed', placeholders: { device, reason } },
          });
          return 'refused';
        }
        const wait = loop.deadline === undefined ? delay : Math.min(delay, DEADLINE_RETRY_MS);
        // Loud at first, then quieter: a device that is off for hours must not flood the log.
        const level = attempt <= 3 || attempt % 20 === 0 ? 'warn' : 'debug';
        this.log[level](
          { device: deviceId, attempt, reason: describe(error), retry_ms: wait },
          'hand-back failed; trying again',
        );
        await pause(loop.deadline === undefined ? wait : Math.min(wait, Math.max(0, loop.deadline - clock.now())));
        delay = Math.min(delay * 2, maxRetryMs);
      }
    };
    (loop as { done: Promise<HandBackOutcome> }).done = run();
    return loop;
  }

  /** The device is back in its own mode: forget it, clear its problems, end any retry. */
  private settled(deviceId: string): void {
    this.loops.get(deviceId)?.cancel('restored');
    if (this.forced.delete(deviceId)) this.persist();
    this.deps.problems.clear(leftForcedId(deviceId));
    this.deps.problems.clear(restoreFailedId(deviceId));
  }

  private name(deviceId: string): string {
    return this.deps.deviceName?.(deviceId) ?? deviceId;
  }

  private persist(): void {
    try {
      this.deps.store.putState(HAND_BACK_NAMESPACE, HAND_BACK_KEY, Object.fromEntries(this.forced));
    } catch (err) {
      this.log.error({ err }, 'cannot persist the devices left forced');
    }
  }
}

export const leftForcedId = (deviceId: string): string => `device_left_forced:${deviceId}`;
export const restoreFailedId = (deviceId: string): string => `restore_failed:${deviceId}`;

/** Modes that keep the battery from following its own logic. */
const FORCED_MODES: ReadonlySet<string> = new Set(['forced', 'hold']);

/** Commands that leave a device forced until someone hands it back. */
function forces(command: Command): boolean {
  if (command.type === 'force_charge' || command.type === 'force_discharge') return true;
  return command.type === 'set_operating_mode' && FORCED_MODES.has(command.mode);
}

/** Commands after which the device runs its own logic again. */
function endsForcing(command: Command): boolean {
  if (command.type === 'restore_normal') return true;
  return command.type === 'set_operating_mode' && !FORCED_MODES.has(command.mode);
}

function describeCommand(command: Command): string {
  if (command.type === 'set_operating_mode') return `set_operating_mode ${command.mode}`;
  if (command.type === 'force_charge' || command.type === 'force_discharge') {
    return `${command.type} ${command.power_w} W`;
  }
  // A driver's own command sets one of its parameters: it neither forces the device nor ends forcing.
  if (command.type === 'device_command') return `device_command ${command.name}`;
  return command.type;
}

/** Only a refusal that can never succeed ends a hand-back; anything else is worth another try. */
export function isPermanentRefusal(err: unknown): boolean {
  // A relay hold or a write budget passes with time: not a refusal for good, whoever raised it.
  if (waitBeforeRetryMs(err) !== undefined) return false;
  return err instanceof CommandRejectedError || (err instanceof DeviceError && err.isRefusal);
}

function describe(err: unknown): string {
  if (err instanceof DeviceError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
