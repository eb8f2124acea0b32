import type { DrEvent, DrState } from '../contracts.js';

/**
 * The DR mode at an instant, from the stored events alone (pure; the book's timer calls it at
 * every boundary). Only active events the user has not opted out of count ("candidates").
 *
 * Precedence, and the rule for overlapping events:
 * 1. `ongoing` when a candidate has start ≤ now < end; if several overlap, the earliest-starting one
 *    governs (it was announced for that window first; ties go to the earlier end, then the id).
 * 2. `post_event` for `postEventMs` after a candidate ended (the ramp back onto the grid), unless
 *    another one is ongoing. Only for an event known before its end: a stale message about an event
 *    long past does not start a ramp.
 * 3. `upcoming` when a candidate starts later: the earliest-starting one.
 * 4. `normal` otherwise; `event` is then the opted-out event that has not ended yet, if any, so the
 *    user sees what they opted out of.
 */
export const DEFAULT_POST_EVENT_MINUTES = 60;

function byStart(a: DrEvent, b: DrEvent): number {
  return a.startMs - b.startMs || a.endMs - b.endMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function isCandidate(e: DrEvent): boolean {
  return e.status === 'active' && !e.optedOut;
}

export function drStateAt(events: readonly DrEvent[], nowMs: number, postEventMs: number): DrState {
  const candidates = events.filter(isCandidate).sort(byStart);
  const next = candidates.find((e) => e.startMs > nowMs) ?? null;
  const ongoing = candidates.find((e) => e.startMs <= nowMs && nowMs < e.endMs);
  if (ongoing) return { mode: 'ongoing', event: ongoing, next, postEventUntilMs: null };
  const ended = candidates
    .filter((e) => e.endMs <= nowMs && nowMs < e.endMs + postEventMs && e.receivedAtMs < e.endMs)
    .sort((a, b) => b.endMs - a.endMs || byStart(a, b))[0];
  if (ended) return { mode: 'post_event', event: ended, next, postEventUntilMs: ended.endMs + postEventMs };
  if (next) return { mode: 'upcoming', event: next, next, postEventUntilMs: null };
  const optedOut = events.filter((e) => e.status === 'active' && e.optedOut && nowMs < e.endMs).sort(byStart)[0];
  return { mode: 'normal', event: optedOut ?? null, next: null, postEventUntilMs: null };
}

/** The next instant after `nowMs` at which `drStateAt` can change, or null when none is ahead. */
export function nextBoundaryMs(events: readonly DrEvent[], nowMs: number, postEventMs: number): number | null {
  let best: number | null = null;
  for (const e of events) {
    for (const t of [e.startMs, e.endMs, e.endMs + postEventMs]) {
      if (t > nowMs && (best === null || t < best)) best = t;
    }
  }
  return best;
}

/** Two states say the same thing (mode, which event and its fields, next): used to emit 'state' only on a change. */
export function sameState(a: DrState, b: DrState): boolean {
  return (
    a.mode === b.mode &&
    a.postEventUntilMs === b.postEventUntilMs &&
    JSON.stringify(a.event) === JSON.stringify(b.event) &&
    JSON.stringify(a.next) === JSON.stringify(b.next)
  );
}
