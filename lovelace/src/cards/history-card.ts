/**
 * custom:sps-history-card — the last 24 h or 7 d of SOC, grid, solar, battery power and cost from the
 * add-on's store (GET /api/readings/history), cost with its "without optimiser" baseline.
 *
 * Cost is read as the reading key `cost` of the optimised battery; its answer may carry `baseline`
 * (the same buckets without the optimiser). Both come from wip/ui's API work; until then the cost
 * chart shows the add-on's answer (an error line) instead of a guess.
 */
import { css, html, nothing, svg, type TemplateResult } from 'lit';
import { HistoryCardConfig, parseCardConfig, type HISTORY_SERIES } from '../config/card-configs.js';
import type { HistoryResponse } from '../data/api-types.js';
import { messageOf } from '../data/snapshot-store.js';
import {
  formatAxisHour,
  formatDay,
  formatWeekday,
  hourTicks,
  isZonedMidnight,
  type TimeSettings,
} from '../format/time.js';
import { labelAnchor, labelWidthPx, niceScale, tickDecimals, tickEveryHours } from '../model/chart-scale.js';
import { SpsBaseCard } from './base-card.js';
import { cardStyles } from './styles.js';

type Series = (typeof HISTORY_SERIES)[number];

const SERIES: Record<Series, { key: string; label: string; colour: string; scale: number; unit: string }> = {
  soc: { key: 'battery_soc', label: 'State of charge', colour: 'var(--sps-battery-out)', scale: 1, unit: '%' },
  grid: { key: 'grid_power', label: 'Grid (+ import)', colour: 'var(--sps-grid)', scale: 0.001, unit: 'kW' },
  solar: { key: 'pv_power', label: 'Solar', colour: 'var(--sps-solar)', scale: 0.001, unit: 'kW' },
  battery: {
    key: 'battery_power',
    label: 'Battery (+ discharge)',
    colour: 'var(--sps-battery-in)',
    scale: 0.001,
    unit: 'kW',
  },
  cost: { key: 'cost', label: 'Cost', colour: 'var(--sps-grid)', scale: 1, unit: '' },
};

type Loaded = { readonly ok: true; readonly data: HistoryResponse } | { readonly ok: false; readonly message: string };

export class SpsHistoryCard extends SpsBaseCard<HistoryCardConfig> {
  static override properties = {
    ...SpsBaseCard.properties,
    range: { state: true },
    data: { state: true },
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
      .series {
        margin-bottom: 8px;
      }
      .series h3 {
        font-size: 13px;
        font-weight: 500;
        margin: 4px 0;
      }
      svg text {
        font-size: 12px;
        fill: var(--sps-muted);
      }
    `,
  ];

  declare private range: '24h' | '7d' | null;
  declare private data: Partial<Record<Series, Loaded>>;
  declare private width: number;
  private loadedFor = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private resizeObserver: ResizeObserver | null = null;

  constructor() {
    super();
    this.range = null;
    this.data = {};
    this.width = 360;
  }

  static getStubConfig(): Record<string, unknown> {
    return { type: 'custom:sps-history-card' };
  }

  static getConfigElement(): HTMLElement {
    return document.createElement('sps-history-card-editor');
  }

  protected parseConfig(config: unknown): HistoryCardConfig {
    return parseCardConfig(HistoryCardConfig, config);
  }

  protected defaultTitle(): string {
    return 'History';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => {
      this.loadedFor = '';
      this.requestUpdate();
    }, 300_000);
    this.resizeObserver = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && Math.abs(w - this.width) > 1) this.width = w;
    });
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
  }

  private device(): string | null {
    const s = this.snapshot;
    if (this.config?.device) return this.config.device;
    if (s.plan?.battery_device) return s.plan.battery_device;
    return s.devices.find((d) => d.entities.some((e) => e.key === 'battery_soc'))?.id ?? null;
  }

  protected override willUpdate(): void {
    const device = this.device();
    const range = this.range ?? this.config?.range ?? '24h';
    const key = `${device}|${range}|${(this.config?.series ?? []).join(',')}`;
    if (!device || !this.source || key === this.loadedFor || this.snapshot.stale) return;
    this.loadedFor = key;
    void this.load(device, range);
  }

  private async load(device: string, range: '24h' | '7d'): Promise<void> {
    const source = this.source;
    if (!source) return;
    const to = Date.now();
    const from = to - (range === '24h' ? 86_400_000 : 7 * 86_400_000);
    const step = range === '24h' ? '15m' : '2h';
    const series = this.config?.series ?? ['soc', 'grid', 'solar', 'battery', 'cost'];
    const results = await Promise.all(
      series.map(async (name): Promise<[Series, Loaded]> => {
        try {
          return [name, { ok: true, data: await source.history({ device, key: SERIES[name].key, from, to, step }) }];
        } catch (err) {
          return [name, { ok: false, message: messageOf(err) }];
        }
      }),
    );
    this.data = Object.fromEntries(results);
  }

  protected renderBody(): TemplateResult {
    const range = this.range ?? this.config?.range ?? '24h';
    const time = this.time;
    return html`
      <div class="tabs" role="tablist">
        ${(['24h', '7d'] as const).map(
          (r) =>
            html`<button
              role="tab"
              aria-selected=${range === r}
              aria-pressed=${range === r}
              @click=${() => (this.range = r)}
            >
              ${r === '24h' ? '24 hours' : '7 days'}
            </button>`,
        )}
      </div>
      ${!this.device() ? html`<p class="muted">Waiting for the add-on…</p>` : nothing}
      ${
        time
          ? (this.config?.series ?? []).map((name) => this.renderSeries(name, this.data[name], range, time))
          : nothing
      }
    `;
  }

  private renderSeries(
    name: Series,
    loaded: Loaded | undefined,
    range: '24h' | '7d',
    time: TimeSettings,
  ): TemplateResult {
    const spec = SERIES[name];
    if (!loaded)
      return html`<div class="series">
        <h3>${spec.label}</h3>
        <span class="muted small">loading…</span>
      </div>`;
    if (!loaded.ok) {
      return html`<div class="series">
        <h3>${spec.label}</h3>
        <span class="small" style="color: var(--sps-error)">${loaded.message}</span>
      </div>`;
    }
    const d = loaded.data;
    const unit = name === 'cost' ? (d.unit ?? '') : spec.unit;
    if (d.points.length === 0)
      return html`<div class="series">
        <h3>${spec.label}</h3>
        <span class="muted small">no data yet</span>
      </div>`;
    const W = Math.max(280, Math.round(this.width) - 32);
    const H = 110;
    const M = { left: 44, right: 8, top: 8, bottom: 22 };
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const t0 = Date.parse(d.from);
    const t1 = Date.parse(d.to);
    const x = (t: number): number => M.left + ((t - t0) / Math.max(1, t1 - t0)) * pw;
    const values = d.points.map((p) => p.mean * spec.scale);
    const baseline = (d.baseline ?? []).map((p) => ({ t: Date.parse(p.t), v: p.mean * spec.scale }));
    const all = [...values, ...baseline.map((b) => b.v)];
    const s = name === 'soc' ? niceScale(0, 100, 2) : niceScale(Math.min(0, ...all), Math.max(0, ...all), 3);
    const dec = tickDecimals(s.ticks);
    const y = (v: number): number => M.top + (1 - (v - s.min) / (s.max - s.min)) * ph;
    const line = (pts: { t: number; v: number }[]): string =>
      pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`).join(' ');
    const pts = d.points.map((p, i) => ({ t: Date.parse(p.t), v: values[i] ?? 0 }));
    const sample =
      range === '24h' ? formatAxisHour(Date.UTC(2026, 0, 1, 22, 0), { ...time, timeZone: 'UTC' }) : 'Wed 30 Dec';
    const every = range === '24h' ? tickEveryHours(pw, 24, labelWidthPx(sample)) : 24;
    const ticks = hourTicks(t0, t1, every, time.timeZone);
    // Seven day labels need about 80 px each; a narrow card names every other day.
    const dayStride = range === '7d' && pw / 7 < labelWidthPx(sample) + 12 ? 2 : 1;
    return html`<div class="series">
      <h3>
        ${spec.label}${unit ? ` (${unit})` : ''}${
          baseline.length > 0 ? html` <span class="muted small">— dashed: without optimiser</span>` : nothing
        }
      </h3>
      <svg width=${W} height=${H} viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${spec.label} history`}>
        ${s.ticks.map(
          (v) => svg`<line x1=${M.left} x2=${M.left + pw} y1=${y(v)} y2=${y(v)} stroke="var(--sps-line)"></line>
            <text x=${M.left - 4} y=${y(v) + 4} text-anchor="end">${v.toFixed(dec)}</text>`,
        )}
        ${ticks.map((t, k) => {
          if (range === '7d' && k % dayStride !== 0) return nothing;
          const label =
            range === '24h'
              ? isZonedMidnight(t, time.timeZone)
                ? formatWeekday(t, time)
                : formatAxisHour(t, time)
              : formatDay(t, time);
          return svg`<line x1=${x(t)} x2=${x(t)} y1=${M.top} y2=${M.top + ph} stroke="var(--sps-line)" stroke-dasharray="2 3"></line>
            <text x=${x(t)} y=${H - 6} text-anchor=${labelAnchor(x(t) - M.left, W - M.left, labelWidthPx(label) / 2)}>${label}</text>`;
        })}
        ${
          baseline.length > 0
            ? svg`<path d=${line(baseline)} fill="none" stroke="var(--sps-muted)" stroke-width="1.5" stroke-dasharray="5 3"></path>`
            : nothing
        }
        <path d=${line(pts)} fill="none" stroke=${spec.colour} stroke-width="2"></path>
      </svg>
    </div>`;
  }
}
