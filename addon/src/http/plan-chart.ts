import type { PlanChartPoint } from '../optimizer/plan-points.js';

/**
 * The 48-hour plan as one self-contained SVG (no scripts, no CSS, no external fonts — the
 * panel's CSP allows neither inline styles nor other origins): SOC as a line on 0–100 %, battery
 * power as bars around zero (up = discharge, down = charge), import/export prices as steps on
 * their own scale. Presentation attributes only, so it renders inline or as an image.
 */
const W = 960;
const H = 300;
const M = { left: 48, right: 56, top: 16, bottom: 28 };

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number): string => (Math.round(x * 10) / 10).toString();

/** One colour per battery (after the total's blue SOC): readable on light and dark panels. */
const BATTERY_COLOURS = ['#16a085', '#d35400', '#7f8c8d', '#c71585'] as const;

export function renderPlanSvg(
  points: readonly PlanChartPoint[],
  opts: { currency?: string; title?: string } = {},
): string {
  const title = opts.title ?? '48-hour battery plan';
  const open = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" class="plan-chart">`;
  if (points.length === 0) {
    return `${open}<title>${esc(title)}</title><text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="currentColor">no plan yet</text></svg>`;
  }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const n = points.length;
  const x = (i: number): number => M.left + (i / n) * pw;
  const ySoc = (soc: number): number => M.top + (1 - Math.min(100, Math.max(0, soc)) / 100) * ph;
  const maxKw = Math.max(0.1, ...points.map((p) => Math.abs(p.batteryKw)));
  const yKw = (kw: number): number => M.top + ph / 2 - (kw / maxKw) * (ph / 2);
  const prices = points.flatMap((p) => [p.importPrice, p.exportPrice]);
  const pMin = Math.min(0, ...prices);
  const pMax = Math.max(pMin + 0.01, ...prices);
  const yPrice = (v: number): number => M.top + (1 - (v - pMin) / (pMax - pMin)) * ph;

  const parts: string[] = [open, `<title>${esc(title)}</title>`];
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#8884"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${f(yKw(0))}" y2="${f(yKw(0))}" stroke="#8886"/>`);
  // Battery power bars.
  const bw = Math.max(0.5, pw / n);
  const bars = points
    .map((p, i) => {
      if (p.batteryKw === 0) return '';
      const y0 = yKw(0);
      const y1 = yKw(p.batteryKw);
      const fill = p.batteryKw > 0 ? '#e07b39' : '#3b9c5a';
      return `<rect x="${f(x(i))}" y="${f(Math.min(y0, y1))}" width="${f(bw)}" height="${f(Math.abs(y1 - y0))}" fill="${fill}" opacity="0.6"/>`;
    })
    .join('');
  parts.push(`<g class="plan-power">${bars}</g>`);
  // Several batteries: each one's power as a thin bar inside the slot, and its own SOC line.
  const names = points[0]?.batteries?.map((b) => b.name) ?? [];
  const perBattery: string[] = [];
  names.forEach((name, k) => {
    const colour = BATTERY_COLOURS[k % BATTERY_COLOURS.length]!;
    const w = bw / names.length;
    const thin = points
      .map((p, i) => {
        const kw = p.batteries?.[k]?.batteryKw ?? 0;
        if (kw === 0) return '';
        const y0 = yKw(0);
        const y1 = yKw(kw);
        return `<rect x="${f(x(i) + k * w)}" y="${f(Math.min(y0, y1))}" width="${f(w)}" height="${f(Math.abs(y1 - y0))}" fill="${colour}" opacity="0.5"/>`;
      })
      .join('');
    const line = points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(i + 1))} ${f(ySoc(p.batteries?.[k]?.socPct ?? 0))}`)
      .join(' ');
    perBattery.push(
      `<g class="plan-battery" data-battery="${esc(name)}">${thin}<path class="plan-battery-soc" d="${line}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 2"/></g>`,
    );
  });
  parts.push(...perBattery);
  const step = (value: (p: PlanChartPoint) => number, y: (v: number) => number): string =>
    points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(i))} ${f(y(value(p)))} L${f(x(i + 1))} ${f(y(value(p)))}`)
      .join(' ');
  parts.push(
    `<path class="plan-import" d="${step((p) => p.importPrice, yPrice)}" fill="none" stroke="#c0392b" stroke-width="1.5"/>`,
  );
  parts.push(
    `<path class="plan-export" d="${step((p) => p.exportPrice, yPrice)}" fill="none" stroke="#8e44ad" stroke-width="1.5" stroke-dasharray="4 3"/>`,
  );
  parts.push(flexLanes(points, x, bw));
  const soc = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(i + 1))} ${f(ySoc(p.socPct))}`).join(' ');
  parts.push(`<path class="plan-soc" d="${soc}" fill="none" stroke="#2471a3" stroke-width="2"/>`);
  // Axes: SOC left, price right, a time label every 6 hours.
  for (const pct of [0, 50, 100]) {
    parts.push(
      `<text x="${M.left - 6}" y="${f(ySoc(pct) + 4)}" text-anchor="end" font-size="11" fill="currentColor">${pct}%</text>`,
    );
  }
  const cur = opts.currency ? ` ${esc(opts.currency)}` : '';
  for (const v of [pMin, pMax]) {
    parts.push(
      `<text x="${M.left + pw + 4}" y="${f(yPrice(v) + 4)}" font-size="11" fill="currentColor">${v.toFixed(2)}${cur}</text>`,
    );
  }
  const stepMs = n > 1 ? Date.parse(points[1]!.start) - Date.parse(points[0]!.start) : 300_000;
  const every = Math.max(1, Math.round((6 * 3_600_000) / Math.max(1, stepMs)));
  for (let i = 0; i < n; i += every) {
    const label = points[i]!.start.slice(11, 16);
    parts.push(
      `<text x="${f(x(i))}" y="${H - 8}" font-size="11" text-anchor="middle" fill="currentColor">${label}Z</text>`,
    );
  }
  parts.push(
    `<text x="${M.left}" y="${M.top - 4}" font-size="11" fill="currentColor">SOC (blue) · battery power ±${maxKw.toFixed(1)} kW (orange discharge, green charge) · import (red) / export (purple dashed) price</text>`,
  );
  if (names.length > 0) {
    const legend = names
      .map((name, k) => `<tspan fill="${BATTERY_COLOURS[k % BATTERY_COLOURS.length]!}">${esc(name)}</tspan>`)
      .join(' · ');
    parts.push(
      `<text class="plan-legend" x="${M.left + pw}" y="${M.top - 4}" font-size="11" text-anchor="end" fill="currentColor">per battery (SOC dashed, power bars): ${legend}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Planned runs at the foot of the plot: one lane for the EV (teal), one per deferrable load (grey-brown). */
function flexLanes(points: readonly PlanChartPoint[], x: (i: number) => number, bw: number): string {
  const names = [...new Set(points.flatMap((p) => p.loadsOn))];
  const hasEv = points.some((p) => p.evKw > 0);
  const lanes: { label: string; on: (p: PlanChartPoint) => boolean; fill: string }[] = [
    ...(hasEv ? [{ label: 'EV', on: (p: PlanChartPoint) => p.evKw > 0, fill: '#17a589' }] : []),
    ...names.map((name) => ({ label: name, on: (p: PlanChartPoint) => p.loadsOn.includes(name), fill: '#9c6b3b' })),
  ];
  if (lanes.length === 0) return '';
  const laneH = 7;
  const bottom = H - M.bottom;
  const out = lanes.map((lane, k) => {
    const y = bottom - (k + 1) * (laneH + 2);
    const runs = points
      .map((p, i) =>
        lane.on(p) ? `<rect x="${f(x(i))}" y="${y}" width="${f(bw)}" height="${laneH}" fill="${lane.fill}"/>` : '',
      )
      .join('');
    return `<g class="plan-lane" data-name="${esc(lane.label)}"><text x="${M.left + 2}" y="${y + laneH - 1}" font-size="8" fill="currentColor">${esc(lane.label)}</text>${runs}</g>`;
  });
  return `<g class="plan-flex">${out.join('')}</g>`;
}
