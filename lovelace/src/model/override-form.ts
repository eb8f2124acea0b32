/**
 * The control card's override form, parsed: an empty power field means "the battery's maximum"
 * (never 0 W), a duration is required, and every mistake names its field. Pure; unit-tested.
 */
import type { OverrideKind } from '../data/api-types.js';
import type { OverrideRequest } from '../data/source.js';

export interface OverrideFormInput {
  readonly kind: OverrideKind;
  /** The power field as typed, kW. */
  readonly powerKw: string;
  /** The SOC field as typed, % (hold only). */
  readonly socPct: string;
  /** Minutes: a preset or the custom field as typed. */
  readonly duration: string;
}

export type OverrideFormResult =
  | { readonly ok: true; readonly request: OverrideRequest }
  | { readonly ok: false; readonly field: 'power' | 'soc' | 'duration'; readonly message: string };

const MAX_MINUTES = 7 * 24 * 60;

export function parseOverrideForm(input: OverrideFormInput): OverrideFormResult {
  const duration = Number(input.duration.trim());
  if (input.duration.trim() === '' || !Number.isFinite(duration)) {
    return { ok: false, field: 'duration', message: 'duration: choose a preset or enter minutes' };
  }
  if (duration <= 0 || duration > MAX_MINUTES) {
    return { ok: false, field: 'duration', message: `duration: between 1 and ${MAX_MINUTES} minutes` };
  }
  const minutes = Math.round(duration);
  let powerW: number | undefined;
  const powerText = input.powerKw.trim().replace(',', '.');
  if (powerText !== '') {
    const kw = Number(powerText);
    if (!Number.isFinite(kw) || kw <= 0) {
      return {
        ok: false,
        field: 'power',
        message: "power: enter more than 0 kW, or leave it empty for the battery's maximum",
      };
    }
    if (kw > 1000) return { ok: false, field: 'power', message: 'power: at most 1000 kW' };
    powerW = Math.round(kw * 1000);
  }
  let socPct: number | undefined;
  if (input.kind === 'hold_soc') {
    const socText = input.socPct.trim();
    if (socText !== '') {
      const soc = Number(socText);
      if (!Number.isFinite(soc) || soc < 0 || soc > 100) {
        return { ok: false, field: 'soc', message: 'SOC: between 0 and 100 %, or empty to hold the current SOC' };
      }
      socPct = soc;
    }
  }
  return {
    ok: true,
    request: {
      kind: input.kind,
      durationMinutes: minutes,
      ...(powerW === undefined ? {} : { powerW }),
      ...(socPct === undefined ? {} : { socPct }),
    },
  };
}

/** `30 min`, `1 h`, `1 h 30 min`, `1 d` for the preset buttons. */
export function presetLabel(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
