/**
 * custom:sps-flow-card — live power flow: grid, solar and the batteries (each with its SOC) around the
 * home, the EV and deferrable loads when the plan has them, and the power station's P1–P4 relays
 * around the transfer switch. Dashes move the way energy moves.
 */
import { css, html, nothing, svg, type TemplateResult } from 'lit';
import { FlowCardConfig, parseCardConfig } from '../config/card-configs.js';
import { formatKw, formatPercent, formatPower } from '../format/units.js';
import { direction, flowModel, type FlowModel } from '../model/flow-model.js';
import { SpsBaseCard } from './base-card.js';
import { cardStyles } from './styles.js';

/** Centres of the 3×3 layout cells in the overlay's coordinates (0–300 × 0–300). */
const C = { solar: [150, 50], grid: [50, 150], home: [150, 150], battery: [250, 150], loads: [150, 250] } as const;

export class SpsFlowCard extends SpsBaseCard<FlowCardConfig> {
  static override styles = [
    cardStyles,
    css`
      .flow {
        position: relative;
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        grid-template-rows: repeat(3, 120px);
      }
      svg.lines {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        pointer-events: none;
      }
      .lines path {
        fill: none;
        stroke-width: 2;
        vector-effect: non-scaling-stroke;
        stroke-dasharray: 6 6;
        opacity: 0.35;
      }
      .lines path.in,
      .lines path.out {
        opacity: 1;
        animation: sps-flow 1s linear infinite;
      }
      .lines path.out {
        animation-direction: reverse;
      }
      @keyframes sps-flow {
        from {
          stroke-dashoffset: 12;
        }
        to {
          stroke-dashoffset: 0;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .lines path.in,
        .lines path.out {
          animation: none;
        }
      }
      .cell {
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        text-align: center;
        position: relative;
        min-width: 0;
      }
      .node {
        width: 76px;
        height: 76px;
        border-radius: 50%;
        border: 3px solid currentColor;
        background: var(--ha-card-background, var(--card-background-color, #fff));
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        box-sizing: border-box;
        font-variant-numeric: tabular-nums;
      }
      .node .value {
        font-size: 14px;
        font-weight: 500;
        color: var(--primary-text-color, #212121);
        line-height: 18px;
      }
      .node .sub {
        font-size: 12px;
        color: var(--sps-muted);
      }
      .label {
        font-size: 12px;
        color: var(--sps-muted);
        margin-top: 2px;
        padding: 0 4px;
        position: relative;
        /* The label sits on the line to the home: the card's own background hides it there. */
        background: var(--ha-card-background, var(--card-background-color, #fff));
        max-width: 100%;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .grid {
        color: var(--sps-grid);
      }
      .solar {
        color: var(--sps-solar);
      }
      .home {
        color: var(--sps-home);
      }
      .battery {
        color: var(--sps-battery-out);
      }
      .loads {
        color: var(--sps-muted);
      }
      .switch {
        margin-top: 12px;
        border-top: 1px solid var(--sps-line);
        padding-top: 8px;
      }
      .relays {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
        gap: 8px;
      }
      .relay {
        min-height: 44px;
        border-radius: 8px;
        border: 1px solid var(--sps-line);
        padding: 6px 8px;
        display: grid;
        /* Position (or SOC) beside the name, the state under the name: fits 150 px columns. */
        grid-template-columns: auto minmax(0, 1fr);
        gap: 2px 8px;
        align-items: center;
        font-size: 13px;
      }
      .relay .pos {
        font-weight: 600;
        white-space: nowrap;
      }
      .relay .name {
        overflow-wrap: break-word;
      }
      .relay .state {
        grid-column: 2;
      }
      .relay .state.on {
        color: var(--sps-ok);
        font-weight: 600;
      }
      .relay .reason {
        grid-column: 1 / -1;
        font-size: 12px;
        color: var(--sps-error);
      }
    `,
  ];

  static getStubConfig(): Record<string, unknown> {
    return { type: 'custom:sps-flow-card' };
  }

  static getConfigElement(): HTMLElement {
    return document.createElement('sps-flow-card-editor');
  }

  protected parseConfig(config: unknown): FlowCardConfig {
    return parseCardConfig(FlowCardConfig, config);
  }

  protected defaultTitle(): string {
    return 'Power flow';
  }

  override getCardSize(): number {
    return 6;
  }

  protected renderBody(): TemplateResult {
    const s = this.snapshot;
    const m = flowModel(s.devices, s.readings, s.plan, Date.now());
    const showLoads = (this.config?.show_loads ?? true) && (m.evKw !== null || m.deferrableKw !== null);
    const batteryW = m.batteries.reduce<number | null>(
      (sum, b) => (b.powerW === null ? sum : (sum ?? 0) + b.powerW),
      null,
    );
    const loadsKw = (m.evKw ?? 0) + (m.deferrableKw ?? 0);
    return html`
      <div class="flow" role="img" aria-label=${this.describe(m)}>
        <svg class="lines" viewBox="0 0 300 300" preserveAspectRatio="none" aria-hidden="true">
          ${this.line(C.solar, 'solar', direction(m.solarW), m.solarW !== null)}
          ${this.line(C.grid, 'grid', direction(m.gridW), m.gridW !== null)}
          ${this.line(C.battery, 'battery', direction(batteryW), m.batteries.length > 0)}
          ${this.line(C.loads, 'loads', loadsKw > 0.01 ? 'out' : 'none', showLoads)}
        </svg>
        <div class="cell" style="grid-area: 1 / 2">
          ${
            m.solarW !== null
              ? html`<div class="node solar"><span class="value">${formatPower(m.solarW)}</span></div>
                  <div class="label">Solar</div>`
              : nothing
          }
        </div>
        <div class="cell" style="grid-area: 2 / 1">
          ${
            m.gridW !== null
              ? html`<div class="node grid">
                    <span class="value">${formatPower(Math.abs(m.gridW))}</span>
                    <span class="sub">${m.gridW > 10 ? 'import' : m.gridW < -10 ? 'export' : 'idle'}</span>
                  </div>
                  <div class="label">Grid</div>`
              : nothing
          }
        </div>
        <div class="cell" style="grid-area: 2 / 2">
          <div class="node home"><span class="value">${formatPower(m.homeW)}</span></div>
          <div class="label">Home</div>
        </div>
        <div class="cell" style="grid-area: 2 / 3">${this.renderBatteries(m, batteryW)}</div>
        <div class="cell" style="grid-area: 3 / 2">
          ${
            showLoads
              ? html`<div class="node loads">
                    ${m.evKw !== null ? html`<span class="value">EV ${formatKw(m.evKw)}</span>` : nothing}
                    ${m.deferrableKw !== null ? html`<span class="sub">loads ${formatKw(m.deferrableKw)}</span>` : nothing}
                  </div>
                  <div class="label">Planned loads</div>`
              : nothing
          }
        </div>
      </div>
      ${m.batteries.length > 1 ? this.renderBatteryList(m) : nothing}
      ${(this.config?.show_relays ?? true) && m.relays.length > 0 ? this.renderRelays(m) : nothing}
      ${s.devices.length === 0 && !s.error && !s.stale ? html`<p class="muted">Waiting for the add-on…</p>` : nothing}
    `;
  }

  private line(
    from: readonly [number, number],
    kind: string,
    dir: 'in' | 'out' | 'none',
    present: boolean,
  ): TemplateResult | typeof nothing {
    if (!present) return nothing;
    const [x, y] = from;
    const [hx, hy] = C.home;
    return svg`<path class="${kind} ${dir}" style="stroke: var(--sps-${kind === 'battery' ? 'battery-out' : kind === 'loads' ? 'muted' : kind})" d="M${x} ${y} L${hx} ${hy}"></path>`;
  }

  private renderBatteries(m: FlowModel, batteryW: number | null): TemplateResult | typeof nothing {
    if (m.batteries.length === 0) return nothing;
    const one = m.batteries.length === 1 ? m.batteries[0] : undefined;
    // Short words: the node is 76 px wide.
    const state = batteryW === null ? '' : batteryW > 10 ? 'discharge' : batteryW < -10 ? 'charge' : 'idle';
    return html`<div class="node battery">
        <span class="value">${formatPower(batteryW === null ? null : Math.abs(batteryW))}</span>
        <span class="sub">${one ? formatPercent(one.socPct) : state}</span>
      </div>
      ${
        one
          ? html`<div class="label" title=${one.name}>${one.name}</div>`
          : html`<div class="label">${m.batteries.length} batteries</div>`
      }`;
  }

  /** Several batteries: the node shows their sum, this list each one with its SOC and power. */
  private renderBatteryList(m: FlowModel): TemplateResult {
    return html`<div class="switch">
      <div class="small muted" style="margin-bottom: 4px">Batteries</div>
      <div class="relays">
        ${m.batteries.map(
          (b) =>
            html`<div class="relay battery-row" title=${b.name}>
              <span class="pos">${formatPercent(b.socPct)}</span>
              <span class="name">${b.name}</span>
              <span class="state"
                >${
                  b.powerW === null
                    ? '—'
                    : `${b.powerW > 10 ? 'discharging' : b.powerW < -10 ? 'charging' : 'idle'} ${formatPower(Math.abs(b.powerW))}`
                }</span
              >
              ${b.available ? nothing : html`<span class="reason">unavailable</span>`}
            </div>`,
        )}
      </div>
    </div>`;
  }

  private renderRelays(m: FlowModel): TemplateResult {
    return html`<div class="switch">
      <div class="small muted" style="margin-bottom: 4px">Transfer switch</div>
      <div class="relays">
        ${m.relays.map(
          (r) =>
            html`<div class="relay" title=${r.name}>
              <span class="pos">${r.position}</span>
              <span class="name">${r.name}</span>
              <span class="state ${r.on ? 'on' : ''}"
                >${r.on === null ? '—' : r.on ? 'on' : 'off'}${r.powerW !== null ? ` · ${formatPower(r.powerW)}` : ''}</span
              >
              ${r.available ? nothing : html`<span class="reason">unavailable: ${r.reason ?? 'no reason given'}</span>`}
            </div>`,
        )}
      </div>
    </div>`;
  }

  private describe(m: FlowModel): string {
    const parts = [
      m.gridW === null ? null : `grid ${formatPower(m.gridW)}`,
      m.solarW === null ? null : `solar ${formatPower(m.solarW)}`,
      `home ${formatPower(m.homeW)}`,
      ...m.batteries.map((b) => `${b.name} ${formatPercent(b.socPct)} ${formatPower(b.powerW)}`),
    ];
    return `Power flow: ${parts.filter((p) => p !== null).join(', ')}`;
  }
}
