import type { DrEvent, DrState } from '@sps/aggregator';
import type { DemandResponseDirective } from '@sps/control';
import type { DrSettings } from './dr-options.js';

/** How fast the grid import may rise after an event (W per minute): no rebound spike. */
export const POST_EVENT_RAMP_W_PER_MIN = 500;

/**
 * The event's goal in kW: its own kW goal, else its own share of the baseline, else the user's
 * default (kW, or a share of the baseline). A share with no baseline yet is 0 (nothing to hold).
 */
export function goalKw(
  event: DrEvent,
  settings: DrSettings,
  baselineW: number | null,
  fixedKw: number | null = null,
): number {
  if (event.goalKw !== null) return event.goalKw;
  if (fixedKw !== null) return fixedKw;
  const pct = event.goalPct ?? ('pct' in settings.goal ? settings.goal.pct : null);
  if (pct === null) return 'kw' in settings.goal ? settings.goal.kw : 0;
  return baselineW === null ? 0 : (Math.max(0, baselineW) * pct) / 100 / 1000;
}

export interface DirectiveInputs {
  readonly state: DrState;
  readonly settings: DrSettings;
  readonly nowMs: number;
  /** The event's baseline for the hour of `nowMs` (W); null while unknown. */
  readonly baselineW: number | null;
  /** The event's goal as fixed with its baseline, if known. */
  readonly goalKw?: number | null;
  /** Whether the sun is up (PV forecast above a trickle) at the event's start; undefined: no forecast. */
  readonly sunShinesAtStart: boolean | undefined;
}

/**
 * The controller's directive from the DR state. Upcoming: be full (or the user's lower target when
 * the event starts in sunshine, leaving room for PV). Ongoing: hold the import at baseline − goal;
 * with no baseline the setpoint is 0 W (run the house from the battery), never a guess above it.
 * Opted-out and cancelled events leave the state normal, so they never reach here.
 */
export function drDirective(inputs: DirectiveInputs): DemandResponseDirective {
  const { state, settings } = inputs;
  const event = state.event;
  if (event === null || event.optedOut || event.status === 'cancelled') return { mode: 'normal' };
  switch (state.mode) {
    case 'normal':
      return { mode: 'normal' };
    case 'upcoming':
      return {
        mode: 'upcoming',
        eventId: event.id,
        eventStartMs: event.startMs,
        eventEndMs: event.endMs,
        targetSocPct: inputs.sunShinesAtStart === true ? settings.eventSocTargetPct : 100,
      };
    case 'ongoing': {
      const goalW = goalKw(event, settings, inputs.baselineW, inputs.goalKw ?? null) * 1000;
      const setpoint = inputs.baselineW === null ? 0 : Math.max(0, inputs.baselineW - goalW);
      return { mode: 'ongoing', eventId: event.id, eventEndMs: event.endMs, importSetpointW: Math.round(setpoint) };
    }
    case 'post_event':
      return {
        mode: 'post_event',
        eventId: event.id,
        untilMs: state.postEventUntilMs ?? event.endMs,
        rampWPerMin: POST_EVENT_RAMP_W_PER_MIN,
      };
  }
}

/** Sunshine from a solar forecast (kW per interval): above 100 W at the instant counts as sun. */
export function sunShinesAt(
  points: readonly { readonly start: number; readonly end: number; readonly kw: number }[] | undefined,
  atMs: number,
): boolean | undefined {
  if (points === undefined) return undefined;
  const point = points.find((p) => p.start <= atMs && atMs < p.end);
  return point === undefined ? undefined : point.kw > 0.1;
}
