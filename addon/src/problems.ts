import { TypedEmitter, isoUtc, type Clock } from '@sps/core';
import type { Logger } from './logger.js';

/**
 * Something the user must know about that the add-on cannot fix by itself: a device it could not
 * hand back to its own mode, a store it had to start afresh, a Home Assistant token without admin
 * rights, a full disk. One board collects them so every place a user looks says the same thing:
 * the log (once, when raised), `/api/health` (status `degraded` with the reasons), the web panel,
 * and Home Assistant's repairs dashboard (through the bridge).
 */
export interface Problem {
  /** Stable id; raising the same id again replaces the problem (and does not log again unless it changed). */
  readonly id: string;
  readonly severity: ProblemSeverity;
  /** One plain sentence for people: what is wrong and what to do. */
  readonly message: string;
  /**
   * The HA repair issue's translation key (integration-bridge strings.json `issues.<key>`) and its
   * placeholders. Problems without one are shown in health and the panel but not in HA's repairs.
   */
  readonly repair?: { readonly key: RepairKey; readonly placeholders: Readonly<Record<string, string>> };
  /** When it was first raised (UTC ISO 8601). */
  readonly since: string;
}

export type ProblemSeverity = 'warning' | 'error';

/**
 * The repair issues the bridge has translations for. Adding one means adding
 * `issues.<key>` to integration-bridge's strings.json and translations/en.json.
 */
export const REPAIR_KEYS = [
  'restore_failed',
  'store_reset',
  'disk_full',
  'device_left_forced',
  'store_unwritable',
] as const;
export type RepairKey = (typeof REPAIR_KEYS)[number];

export type ProblemInput = Omit<Problem, 'since'>;

export interface ProblemBoardEvents extends Record<string, unknown> {
  /** The list changed (a problem raised, replaced or cleared). */
  changed: readonly Problem[];
}

export class ProblemBoard {
  readonly events: TypedEmitter<ProblemBoardEvents>;
  private readonly problems = new Map<string, Problem>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.events = new TypedEmitter<ProblemBoardEvents>((err) =>
      logger.error({ err }, 'a problem-board listener failed'),
    );
  }

  /** Raise (or update) a problem. Logged when new or when its message changes. */
  raise(input: ProblemInput): void {
    const previous = this.problems.get(input.id);
    if (
      previous &&
      previous.message === input.message &&
      previous.severity === input.severity &&
      JSON.stringify(previous.repair) === JSON.stringify(input.repair)
    ) {
      return;
    }
    const problem: Problem = { ...input, since: previous?.since ?? isoUtc(this.clock.now()) };
    this.problems.set(input.id, problem);
    const log = { problem: input.id, ...(input.repair ? { repair: input.repair.key } : {}) };
    if (input.severity === 'error') this.logger.error(log, input.message);
    else this.logger.warn(log, input.message);
    this.events.emit('changed', this.list());
  }

  /** Clear a problem once it no longer holds; a no-op when it was not raised. */
  clear(id: string): void {
    if (!this.problems.delete(id)) return;
    this.logger.info({ problem: id }, 'resolved');
    this.events.emit('changed', this.list());
  }

  has(id: string): boolean {
    return this.problems.has(id);
  }

  /** Oldest first. */
  list(): readonly Problem[] {
    return [...this.problems.values()];
  }
}
