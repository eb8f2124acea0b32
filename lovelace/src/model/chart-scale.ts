/**
 * Axis arithmetic for the cards' charts: "nice" tick values (1, 2, 2.5, 5 × 10ⁿ) covering a range, so
 * every y-axis shows readable values on its gridlines. Pure; unit-tested.
 */
export interface Scale {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
}

export function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  if (!Number.isFinite(raw) || raw <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Ticks from a nice floor of `lo` to a nice ceiling of `hi` (always at least two). */
export function niceScale(lo: number, hi: number, maxTicks = 4): Scale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: 0, max: 1, ticks: [0, 1] };
  if (hi - lo < 1e-9) {
    const pad = Math.abs(hi) > 1e-9 ? Math.abs(hi) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, maxTicks);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  return { min, max, ticks: ticks.map((t) => Number(t.toPrecision(12))) };
}

/** Decimals a tick label needs for its step (0.05 → 2, 2.5 → 1, 10 → 0). */
export function tickDecimals(ticks: readonly number[]): number {
  if (ticks.length < 2) return 0;
  const step = Math.abs((ticks[1] ?? 0) - (ticks[0] ?? 0));
  if (step === 0) return 0;
  return Math.max(
    0,
    Math.min(4, -Math.floor(Math.log10(step) + 1e-9) + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0)),
  );
}

/**
 * Where a label goes along an axis of `width` px: centred on its gridline, moved inward just enough
 * at the edges that it is not cut off (text-anchor start/end). Charts pass positions relative to
 * their plot area, so a time label near the left edge never runs into the y-axis labels.
 */
export function labelAnchor(x: number, width: number, halfLabel: number): 'start' | 'middle' | 'end' {
  if (x - halfLabel < 0) return 'start';
  if (x + halfLabel > width) return 'end';
  return 'middle';
}

/**
 * Hours between time labels: the smallest of 1, 2, 3, 6, 12, 24 that leaves each label `labelPx`
 * plus a gap, so labels never overlap however narrow the card is.
 */
export function tickEveryHours(plotWidthPx: number, spanHours: number, labelPx: number): number {
  for (const every of [1, 2, 3, 6, 12, 24]) {
    if ((plotWidthPx * every) / Math.max(1, spanHours) >= labelPx + 12) return every;
  }
  return 24;
}

/** Width of a label in the cards' 12 px font (an average glyph is about 7 px; digits are narrower). */
export function labelWidthPx(text: string): number {
  return text.length * 7;
}
