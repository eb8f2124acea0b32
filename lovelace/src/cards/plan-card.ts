/**
 * custom:sps-plan-card — the 48-hour plan as a chart (prices, SOC, battery charge/discharge, grid
 * import/export, the action of every interval, a now-line, a tooltip per interval with the plan's
 * reason) and as a per-slot table, with the next action and the predicted savings vs the baseline.
 * The chart is drawn in CSS pixels at the card's real width, so its text is 12 px on a phone too.
 */
import { css, html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { parseCardConfig, PlanCardConfig } from '../config/card-configs.js';
import type { PlanIntervalJson, PlanJson, PlanResponse } from '../data/api-types.js';
import { planTable } from '../format/plan-table.js';
import {
  formatDayTime,
  formatAxisHour,
  formatWeekday,
  hourTicks,
  isZonedMidnight,
  type TimeSettings,
} from '../format/time.js';
import { actionLabel, formatKw, formatMoney, formatPercent, formatPrice } from '../format/units.js';
import { labelAnchor, labelWidthPx, niceScale, tickDecimals, tickEveryHours } from '../model/chart-scale.js';
import { batterySocLines, planLanes } from '../model/plan-lanes.js';
import { SpsBaseCard } from './base-card.js';
import { cardStyles } from './styles.js';

const ACTION_COLOURS: Record<string, string> = {
  CHARGE: 'var(--sps-battery-in)',
  EXPORT: 'var(--sps-grid-out)',
  IDLE: 'var(--sps-muted)',
  SELF_CONSUMPTION: 'var(--sps-battery-out)',
};

const H_PRICE = 150;
const H_STRIP = 10;
const H_POWER = 90;
/** One lane per EV / deferrable load under the power chart. */
const H_LANE = 12;
const BATTERY_DASHES = ['6 3', '2 3', '8 3 2 3', '1 2'];
const GAP = 8;
const TOP = 28;
const AXIS = 22;
const M = { left: 52, right: 40 };

export class SpsPlanCard extends SpsBaseCard<PlanCardConfig> {
  static override properties = {
    ...SpsBaseCard.properties,
    view: { state: true },
    hover: { state: true },
    width: { state: true },
  };

  static override styles = [
    cardStyles,
    css`
      .tabs {
        display: flex;
        gap: 8px;
        margin-bottom: 8px;
      }
      .summary {
        display: grid;
        gap: 4px;
        margin-bottom: 8px;
        font-size: 14px;
      }
      .chart {
        position: relative;
        touch-action: pan-y;
        outline: none;
      }
      .chart:focus-visible {
        box-shadow: 0 0 0 2px var(--primary-color, #03a9f4);
        border-radius: 4px;
      }
      svg text {
        font-size: 12px;
        fill: var(--sps-muted);
      }
      .tooltip {
        position: absolute;
        top: 0;
        z-index: 1;
        max-width: min(280px, 80%);
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
        border: 1px solid var(--sps-line);
        border-radius: 8px;
        padding: 8px;
        font-size: 12px;
        line-height: 16px;
        box-shadow: 0 2px 8px rgba(0, 0, 0, 0.2);
        pointer-events: none;
      }
      .tooltip b {
        font-size: 13px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 12px;
        color: var(--sps-muted);
        margin-top: 4px;
      }
      .legend i {
        display: inline-block;
        width: 12px;
        height: 3px;
        vertical-align: middle;
        margin-right: 4px;
      }
      .table-wrap {
        overflow: auto;
        max-height: 420px;
      }
      table {
        border-collapse: collapse;
        font-size: 12px;
        font-variant-numeric: tabular-nums;
        width: 100%;
      }
      th,
      td {
        padding: 4px 6px;
        text-align: right;
        white-space: nowrap;
        border-bottom: 1px solid var(--sps-line);
      }
      th {
        position: sticky;
        top: 0;
        background: var(--card-background-color, #fff);
        font-weight: 500;
      }
      td.l,
      th.l {
        text-align: left;
      }
      tr.now td {
        font-weight: 600;
      }
      tfoot td {
        font-weight: 600;
        position: sticky;
        bottom: 0;
        background: var(--card-background-color, #fff);
      }
      /* On a phone the table scrolls sideways: the time stays in view. */
      th:first-child,
      td:first-child {
        position: sticky;
        left: 0;
        z-index: 1;
        background: var(--card-background-color, #fff);
      }
      th:first-child {
        z-index: 2;
      }
      .override {
        border-left: 4px solid var(--sps-battery-in);
      }
    `,
  ];

  declare private view: 'chart' | 'table' | null;
  declare private hover: number | null;
  declare private width: number;
  private resizeObserver: ResizeObserver | null = null;

  constructor() {
    super();
    this.view = null;
    this.hover = null;
    this.width = 360;
  }

  static getStubConfig(): Record<string, unknown> {
    return { type: 'custom:sps-plan-card' };
  }

  static getConfigElement(): HTMLElement {
    return document.createElement('sps-plan-card-editor');
  }

  protected parseConfig(config: unknown): PlanCardConfig {
    return parseCardConfig(PlanCardConfig, config);
  }

  protected defaultTitle(): string {
    return 'Battery plan';
  }

  override getCardSize(): number {
    return 7;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && Math.abs(w - this.width) > 1) this.width = w;
    });
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
  }

  protected override firstUpdated(changed: PropertyValues): void {
    super.firstUpdated(changed);
    const w = this.getBoundingClientRect().width;
    if (w > 0) this.width = w;
  }

  protected renderBody(): TemplateResult {
    const response = this.snapshot.plan;
    const time = this.time;
    if (!response || !time) return html`<p class="muted">Waiting for the plan…</p>`;
    const plan = response.plan;
    const view = this.view ?? this.config?.view ?? 'chart';
    return html`
      ${this.renderSummary(response, time)}
      ${
        plan && plan.intervals.length > 0
          ? html`<div class="tabs" role="tablist">
                ${(['chart', 'table'] as const).map(
                  (v) =>
                    html`<button
                      role="tab"
                      aria-selected=${view === v}
                      aria-pressed=${view === v}
                      @click=${() => (this.view = v)}
                    >
                      ${v === 'chart' ? 'Chart' : 'Table'}
                    </button>`,
                )}
              </div>
              ${view === 'chart' ? this.renderChart(this.visible(plan), plan, time, response.joint_plan?.plan.intervals) : this.renderTable(plan, time)}`
          : html`<p class="muted">
              No plan:
              ${plan?.reason ?? response.off_reason ?? response.fallback_reason ?? 'the optimiser has not planned yet'}
            </p>`
      }
    `;
  }

  private visible(plan: PlanJson): PlanIntervalJson[] {
    const hours = this.config?.hours ?? 48;
    const first = plan.intervals[0];
    if (!first) return [];
    const end = Date.parse(first.start) + hours * 3_600_000;
    return plan.intervals.filter((i) => Date.parse(i.start) < end);
  }

  private renderSummary(r: PlanResponse, time: TimeSettings): TemplateResult {
    const currency = r.plan?.currency ?? r.today?.currency ?? '';
    const locale = time.locale;
    return html`<div class="summary">
      ${
        r.override
          ? html`<div class="banner override" role="status">
              Override:
              ${overrideLabel(r.override.kind)}${
                r.override.power_w !== undefined ? ` at ${formatKw(r.override.power_w / 1000)}` : ''
              }${r.override.soc_pct !== undefined ? ` at ${formatPercent(r.override.soc_pct)}` : ''}
              until ${formatDayTime(r.override.until, time)}
            </div>`
          : nothing
      }
      <div>
        <span class="muted">Now:</span> ${r.current ? actionLabel(r.current.action) : '—'}
        ${r.current?.reason ? html`<span class="muted small">— ${r.current.reason}</span>` : nothing}
      </div>
      <div>
        <span class="muted">Next:</span>
        ${
          r.next
            ? html`${actionLabel(r.next.action)} at ${formatDayTime(r.next.at, time)}
                <span class="muted small">— ${r.next.reason}</span>`
            : 'no change planned'
        }
      </div>
      ${
        r.plan?.off_grid
          ? this.renderOffGrid(r.plan.off_grid, time)
          : html`<div>
              <span class="muted">Predicted savings vs no optimiser:</span>
              ${
                r.plan?.savings !== undefined && r.plan.savings !== null
                  ? html`<b>${formatMoney(r.plan.savings, currency, locale)}</b> over the plan`
                  : '—'
              }${r.today ? html` · today ${formatMoney(r.today.savings, r.today.currency, locale)}` : nothing}
            </div>`
      }
      ${(r.deferrable_loads ?? [])
        .filter((l) => l.reason)
        .map(
          (l) =>
            html`<div>
              <span class="muted">${l.name}:</span> ${l.on === null ? '—' : l.on ? 'on' : 'off'}
              <span class="muted small">— ${l.reason}</span>
            </div>`,
        )}
    </div>`;
  }

  /** Off-grid there is no money: the reserve, the lowest planned energy and whether the house would go dark. */
  private renderOffGrid(og: NonNullable<PlanJson['off_grid']>, time: TimeSettings): TemplateResult {
    const below = og.max_reserve_shortfall_kwh > 0 ? `, ${og.max_reserve_shortfall_kwh.toFixed(1)} kWh below` : '';
    const lowest = `lowest ${og.min_stored_kwh.toFixed(1)} kWh at ${formatDayTime(og.min_stored_at, time)}`;
    const reserve = `(reserve ${og.reserve_kwh.toFixed(1)} kWh${below})`;
    const dark = og.first_unserved_at
      ? `from ${formatDayTime(og.first_unserved_at, time)} (${og.unserved_kwh.toFixed(1)} kWh not served)`
      : '';
    return html`<div><span class="muted">Off-grid:</span> ${lowest} ${reserve}</div>
      <div>
        ${
          og.first_unserved_at
            ? html`<b>The house would go dark</b> ${dark}`
            : html`<span class="muted">The house stays powered over the plan.</span>`
        }
      </div>`;
  }

  private renderChart(
    intervals: PlanIntervalJson[],
    plan: PlanJson,
    time: TimeSettings,
    joint?: readonly PlanIntervalJson[],
  ): TemplateResult {
    const W = Math.max(280, Math.round(this.width) - 32);
    const pw = W - M.left - M.right;
    const n = intervals.length;
    const stepMs = plan.interval_minutes * 60_000;
    const t0 = Date.parse(intervals[0]!.start);
    const t1 = Date.parse(intervals[n - 1]!.start) + stepMs;
    const x = (t: number): number => M.left + ((t - t0) / (t1 - t0)) * pw;
    const priceTop = TOP;
    const stripTop = priceTop + H_PRICE + GAP / 2;
    const powerTop = stripTop + H_STRIP + GAP;
    const lanes = planLanes(intervals);
    const socLines = batterySocLines(intervals, joint);
    const lanesTop = powerTop + H_POWER + GAP;
    const chartBottom = lanes.length > 0 ? lanesTop + lanes.length * (H_LANE + 2) : powerTop + H_POWER;
    const H = chartBottom + AXIS;

    const offGrid = plan.off_grid !== undefined;
    const prices = intervals.flatMap((i) => [i.import_price, i.export_price]);
    const ps = niceScale(Math.min(0, ...prices), Math.max(...prices), W < 500 ? 4 : 5);
    const pd = tickDecimals(ps.ticks);
    const yP = (v: number): number => priceTop + (1 - (v - ps.min) / (ps.max - ps.min)) * H_PRICE;
    const yS = (soc: number): number => priceTop + (1 - Math.min(100, Math.max(0, soc)) / 100) * H_PRICE;

    const kws = intervals.flatMap((i) => [
      i.battery_discharge_kw - i.battery_charge_kw,
      i.grid_import_kw - i.grid_export_kw,
    ]);
    const ks = niceScale(Math.min(0, ...kws), Math.max(0, ...kws), 3);
    const kd = tickDecimals(ks.ticks);
    const yK = (v: number): number => powerTop + (1 - (v - ks.min) / (ks.max - ks.min)) * H_POWER;

    const step = (value: (i: PlanIntervalJson) => number, y: (v: number) => number): string =>
      intervals
        .map((i, k) => {
          const a = Date.parse(i.start);
          return `${k === 0 ? 'M' : 'L'}${x(a).toFixed(1)} ${y(value(i)).toFixed(1)} L${x(a + stepMs).toFixed(1)} ${y(value(i)).toFixed(1)}`;
        })
        .join(' ');
    const soc = intervals
      .map((i, k) => `${k === 0 ? 'M' : 'L'}${x(Date.parse(i.start) + stepMs).toFixed(1)} ${yS(i.soc_pct).toFixed(1)}`)
      .join(' ');
    const bw = Math.max(0.5, pw / n);
    // The widest label decides the spacing: "18:00" or "6:00 PM"; midnights say the day instead.
    const sample = formatAxisHour(Date.UTC(2026, 0, 1, 22, 0), { ...time, timeZone: 'UTC' });
    const every = tickEveryHours(pw, (t1 - t0) / 3_600_000, labelWidthPx(sample));
    const ticks = hourTicks(t0, t1, every, time.timeZone);
    const now = Date.now();
    const hovered = this.hover === null ? undefined : intervals[this.hover];

    return html`<div
        class="chart"
        @pointermove=${(e: PointerEvent) => this.pointAt(e, t0, t1, stepMs, pw, n)}
        @pointerdown=${(e: PointerEvent) => this.pointAt(e, t0, t1, stepMs, pw, n)}
        @pointerleave=${() => (this.hover = null)}
        tabindex="0"
        aria-label="Plan chart: use the arrow keys to step through the intervals"
        @keydown=${(e: KeyboardEvent) => this.step(e, n)}
        @blur=${() => (this.hover = null)}
      >
        <svg width=${W} height=${H} viewBox="0 0 ${W} ${H}" role="img" aria-label="48-hour battery plan chart">
          ${
            // Off-grid there are no prices: the top chart is the SOC alone.
            offGrid
              ? nothing
              : svg`${ps.ticks.map(
                  (
                    v,
                  ) => svg`<line x1=${M.left} x2=${M.left + pw} y1=${yP(v)} y2=${yP(v)} stroke="var(--sps-line)"></line>
              <text x=${M.left - 4} y=${yP(v) + 4} text-anchor="end">${v.toFixed(pd)}</text>`,
                )}
          <text x="2" y="12" text-anchor="start">${plan.currency}/kWh</text>`
          }
          ${[0, 50, 100].map((p) => svg`<text x=${M.left + pw + 4} y=${yS(p) + 4}>${p}%</text>`)}
          ${intervals.map((i) => {
            const a = Date.parse(i.start);
            return svg`<rect x=${x(a)} y=${stripTop} width=${bw + 0.3} height=${H_STRIP} fill=${ACTION_COLOURS[i.action] ?? 'var(--sps-muted)'} opacity=${i.override ? 1 : 0.75}></rect>`;
          })}
          ${
            offGrid
              ? nothing
              : svg`<path d=${step((i) => i.import_price, yP)} fill="none" stroke="var(--sps-grid)" stroke-width="2"></path>
          <path
            d=${step((i) => i.export_price, yP)}
            fill="none"
            stroke="var(--sps-grid-out)"
            stroke-width="2"
            stroke-dasharray="5 3"
          ></path>`
          }
          <path d=${soc} fill="none" stroke="var(--sps-battery-out)" stroke-width="2.5"></path>
          ${socLines.map((line, k) => {
            const d = line.socPct
              .map((v, j) => (v === null ? null : [x(Date.parse(intervals[j]!.start) + stepMs), yS(v)]))
              .filter((p): p is number[] => p !== null)
              .map((p, j) => `${j === 0 ? 'M' : 'L'}${p[0]!.toFixed(1)} ${p[1]!.toFixed(1)}`)
              .join(' ');
            return svg`<path class="battery-soc" d=${d} fill="none" stroke="var(--sps-battery-out)" stroke-width="1.5" stroke-dasharray=${BATTERY_DASHES[k % BATTERY_DASHES.length]!} opacity="0.8"></path>`;
          })}
          ${ks.ticks.map(
            (
              v,
            ) => svg`<line x1=${M.left} x2=${M.left + pw} y1=${yK(v)} y2=${yK(v)} stroke="var(--sps-line)" stroke-width=${v === 0 ? 1.5 : 1}></line>
              <text x=${M.left - 4} y=${yK(v) + 4} text-anchor="end">${v.toFixed(kd)}</text>`,
          )}
          <text x=${M.left + pw + 4} y=${powerTop + 12}>kW</text>
          ${intervals.map((i) => {
            const kw = i.battery_discharge_kw - i.battery_charge_kw;
            if (Math.abs(kw) < 0.001) return nothing;
            const a = Date.parse(i.start);
            const y0 = yK(0);
            const y1 = yK(kw);
            return svg`<rect x=${x(a)} y=${Math.min(y0, y1)} width=${bw} height=${Math.max(0.5, Math.abs(y1 - y0))} fill=${kw > 0 ? 'var(--sps-battery-out)' : 'var(--sps-battery-in)'} opacity="0.7"></rect>`;
          })}
          <path
            d=${step((i) => i.grid_import_kw - i.grid_export_kw, yK)}
            fill="none"
            stroke="var(--sps-grid)"
            stroke-width="1.5"
          ></path>
          ${lanes.map((lane, k) => {
            const top = lanesTop + k * (H_LANE + 2);
            return svg`<text x=${M.left - 4} y=${top + H_LANE - 2} text-anchor="end">${lane.label}</text>
              ${lane.kw.map((kw, j) =>
                kw > 0
                  ? svg`<rect class="lane" x=${x(Date.parse(intervals[j]!.start))} y=${top} width=${bw + 0.3} height=${H_LANE} fill=${lane.label === 'EV' ? 'var(--sps-grid)' : lane.label === 'Dark' ? 'var(--sps-error)' : 'var(--sps-battery-in)'} opacity=${0.35 + 0.65 * (kw / Math.max(0.001, lane.peakKw))}></rect>`
                  : nothing,
              )}`;
          })}
          ${ticks.map((t) => {
            const tx = x(t);
            const midnight = isZonedMidnight(t, time.timeZone);
            const label = midnight ? formatWeekday(t, time) : formatAxisHour(t, time);
            return svg`<line x1=${tx} x2=${tx} y1=${priceTop} y2=${chartBottom} stroke="var(--sps-line)" stroke-dasharray=${midnight ? 'none' : '2 3'}></line>
              <text x=${tx} y=${H - 6} text-anchor=${labelAnchor(tx - M.left, W - M.left, labelWidthPx(label) / 2)} style=${midnight ? 'font-weight: 600' : ''}>${label}</text>`;
          })}
          ${
            now >= t0 && now <= t1
              ? svg`<line class="now" x1=${x(now)} x2=${x(now)} y1=${priceTop} y2=${chartBottom} stroke="var(--primary-color, #03a9f4)" stroke-width="2"></line>
              <text x=${x(now) + 3} y=${priceTop + 12} text-anchor=${labelAnchor(x(now), W, 24) === 'end' ? 'end' : 'start'} style="fill: var(--primary-color, #03a9f4)">now</text>`
              : nothing
          }
          ${
            hovered
              ? svg`<rect x=${x(Date.parse(hovered.start))} y=${priceTop} width=${bw} height=${chartBottom - priceTop} fill="var(--primary-text-color, #000)" opacity="0.08"></rect>`
              : nothing
          }
        </svg>
        ${hovered ? this.renderTooltip(hovered, plan, time, x(Date.parse(hovered.start)), W) : nothing}
      </div>
      <div class="legend">
        ${
          offGrid
            ? nothing
            : html`<span><i style="background: var(--sps-grid)"></i>import price</span>
                <span><i style="background: var(--sps-grid-out)"></i>export price</span>`
        }
        <span><i style="background: var(--sps-battery-out)"></i>SOC (right axis)</span>
        <span><i style="background: var(--sps-battery-in)"></i>charge</span>
        <span><i style="background: var(--sps-battery-out); opacity: 0.7"></i>discharge</span>
        <span>strip: action</span>
        ${socLines.map(
          (line, k) =>
            html`<span
              ><svg width="18" height="8" aria-hidden="true">
                <line
                  x1="0"
                  x2="18"
                  y1="4"
                  y2="4"
                  stroke="var(--sps-battery-out)"
                  stroke-width="1.5"
                  stroke-dasharray=${BATTERY_DASHES[k % BATTERY_DASHES.length]!}
                ></line></svg
              >${line.name} SOC</span
            >`,
        )}
        ${lanes.map((lane) => html`<span><b>${lane.label}</b> ${lane.name}</span>`)}
      </div>`;
  }

  /** Arrow keys walk the intervals, so the tooltip (and its reason) is reachable without a pointer. */
  private step(e: KeyboardEvent, n: number): void {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (delta === 0) {
      if (e.key === 'Escape') this.hover = null;
      return;
    }
    e.preventDefault();
    const current = this.hover ?? (delta > 0 ? -1 : n);
    this.hover = Math.min(n - 1, Math.max(0, current + delta));
  }

  private pointAt(e: PointerEvent, t0: number, t1: number, stepMs: number, pw: number, n: number): void {
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const px = e.clientX - rect.left - M.left;
    if (px < 0 || px > pw) {
      this.hover = null;
      return;
    }
    const t = t0 + (px / pw) * (t1 - t0);
    this.hover = Math.min(n - 1, Math.max(0, Math.floor((t - t0) / stepMs)));
  }

  private renderTooltip(
    i: PlanIntervalJson,
    plan: PlanJson,
    time: TimeSettings,
    px: number,
    W: number,
  ): TemplateResult {
    const left = px > W / 2 ? `right: ${Math.max(0, W - px + 8)}px` : `left: ${px + 8}px`;
    const batteryKw = i.battery_discharge_kw - i.battery_charge_kw;
    return html`<div class="tooltip" role="tooltip" style=${left}>
      <b>${formatDayTime(i.start, time)} · ${actionLabel(i.action)}</b><br />
      ${i.reason}<br />
      ${
        plan.off_grid
          ? (i.unserved_kw ?? 0) > 0
            ? html`not served ${formatKw(i.unserved_kw ?? 0)}<br />`
            : nothing
          : html`import ${formatPrice(i.import_price, plan.currency)} · export
              ${formatPrice(i.export_price, plan.currency)}<br />`
      }
      SOC ${formatPercent(i.soc_pct)} · battery
      ${batteryKw >= 0 ? `discharge ${formatKw(batteryKw)}` : `charge ${formatKw(-batteryKw)}`}<br />
      grid
      ${i.grid_import_kw >= i.grid_export_kw ? `import ${formatKw(i.grid_import_kw)}` : `export ${formatKw(i.grid_export_kw)}`}
    </div>`;
  }

  private renderTable(plan: PlanJson, time: TimeSettings): TemplateResult {
    const table = planTable({ ...plan, intervals: this.visible(plan) });
    const c = table.currency;
    const locale = time.locale;
    const now = Date.now();
    const stepMs = plan.interval_minutes * 60_000;
    return html`<div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th class="l">Time</th>
            <th>Import</th>
            <th>Export</th>
            <th class="l">Action</th>
            <th>PV</th>
            <th>Load</th>
            <th>SOC</th>
            <th>Cost</th>
            <th>Saved (cum.)</th>
          </tr>
        </thead>
        <tbody>
          ${table.rows.map((r) => {
            const start = Date.parse(r.start);
            return html`<tr class=${start <= now && now < start + stepMs ? 'now' : ''} title=${r.reason}>
              <td class="l">${formatDayTime(r.start, time)}</td>
              <td>${r.importPrice.toFixed(3)}</td>
              <td>${r.exportPrice.toFixed(3)}</td>
              <td class="l">${actionLabel(r.action)}</td>
              <td>${r.pvKw === null ? '—' : formatKw(r.pvKw)}</td>
              <td>${r.loadKw === null ? '—' : formatKw(r.loadKw)}</td>
              <td>${formatPercent(r.socPct)}</td>
              <td>${formatMoney(r.cost, c, locale)}</td>
              <td>${r.cumulativeSavings === null ? '—' : formatMoney(r.cumulativeSavings, c, locale)}</td>
            </tr>`;
          })}
        </tbody>
        <tfoot>
          <tr>
            <td class="l" colspan="7">Total (prices in ${c}/kWh)</td>
            <td>${formatMoney(table.totalCost, c, locale)}</td>
            <td>${formatMoney(table.totalSavings, c, locale)}</td>
          </tr>
        </tfoot>
      </table>
    </div>`;
  }
}

function overrideLabel(kind: string): string {
  return kind === 'force_charge' ? 'force charge' : kind === 'force_discharge' ? 'force discharge' : 'hold SOC';
}
