import type { DrEvent, DrProgram } from '../contracts.js';

/** What one message says about one event, before the book adds what the user did (opt-out) and where it came from. */
export type ParsedDrEvent = Omit<DrEvent, 'optedOut' | 'simulated'>;

export type ParseResult =
  | {
      readonly ok: true;
      readonly event: ParsedDrEvent;
      /** Set when the message was read by a rule the sender may not have meant (a local start inside a DST change). */
      readonly warning?: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Community DR events last 4 h (smartPowerStation, demandResponse_UX_research: both programmes run for 4 h). */
export const DEFAULT_EVENT_DURATION_MINUTES = 4 * 60;
/** Longer than any DR programme's window: a 2-day "event" is a sender's mistake, not a request. */
export const MAX_EVENT_DURATION_MINUTES = 24 * 60;
/** A start further than this from when the message came is a bad date (a wrong year), not a plan. */
export const MAX_START_DISTANCE_MS = 366 * 24 * 3_600_000;

/** `<program>-<start>` with the start as UTC ISO 8601 (milliseconds only when not zero): one event per programme and start. */
export function defaultEventId(program: DrProgram, startMs: number): string {
  return `${program}-${new Date(startMs).toISOString().replace('.000Z', 'Z')}`;
}

/** The checks both formats share once start and end are instants. Null when fine. */
export function checkEventWindow(startMs: number, endMs: number, receivedAtMs: number): string | null {
  if (endMs <= startMs) return 'end: must be after start';
  if (endMs - startMs > MAX_EVENT_DURATION_MINUTES * 60_000) {
    return `end: the event would last ${Math.round((endMs - startMs) / 60_000)} minutes (at most ${MAX_EVENT_DURATION_MINUTES})`;
  }
  if (Math.abs(startMs - receivedAtMs) > MAX_START_DISTANCE_MS) return 'start: more than a year from now';
  return null;
}
