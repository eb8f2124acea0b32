/**
 * <sps-panel>: the add-on's own page made of the same cards as the dashboard — power flow, control,
 * the plan, one device card per device, history — on the data source the page hands over (the
 * panel's HttpDataSource). The shell that serves it (addon/web) only creates this element:
 *
 *   import { HttpDataSource } from './smart-power-station-cards.js';
 *   const panel = document.createElement('sps-panel');
 *   panel.source = new HttpDataSource();
 *   document.body.append(panel);
 */
import { css, html, LitElement, type TemplateResult } from 'lit';
import type { SpsDataSource, SpsSnapshot } from '../data/source.js';

type Card = HTMLElement & { setConfig(config: unknown): void; source: SpsDataSource };

export class SpsPanel extends LitElement {
  static override properties = { deviceIds: { state: true } };
  static override styles = css`
    :host {
      display: block;
      box-sizing: border-box;
      padding: 8px;
      max-width: 1400px;
      margin: 0 auto;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 360px), 1fr));
      gap: 8px;
      align-items: start;
    }
    .wide {
      grid-column: 1 / -1;
    }
  `;

  declare private deviceIds: readonly string[];
  private dataSource: SpsDataSource | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly cards = new Map<string, Card>();

  constructor() {
    super();
    this.deviceIds = [];
  }

  set source(source: SpsDataSource) {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.dataSource = source;
    for (const card of this.cards.values()) card.source = source;
    if (this.isConnected) this.listen();
  }

  get source(): SpsDataSource | null {
    return this.dataSource;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.dataSource && !this.unsubscribe) this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private listen(): void {
    const source = this.dataSource;
    if (!source) return;
    this.unsubscribe = source.subscribe((s) => this.follow(s));
    this.follow(source.snapshot());
  }

  /** One device card per device: re-created only when the set of devices changes. */
  private follow(s: SpsSnapshot): void {
    const ids = s.devices.map((d) => d.id);
    if (ids.join('\n') !== this.deviceIds.join('\n')) this.deviceIds = ids;
  }

  private card(key: string, config: Record<string, unknown>): Card {
    let card = this.cards.get(key);
    if (!card) {
      card = document.createElement(String(config['type']).replace('custom:', '')) as Card;
      card.setConfig(config);
      if (this.dataSource) card.source = this.dataSource;
      this.cards.set(key, card);
    }
    return card;
  }

  protected override render(): TemplateResult {
    return html`<div class="grid">
      ${this.card('flow', { type: 'custom:sps-flow-card' })}
      ${this.card('control', { type: 'custom:sps-control-card' })}
      <div class="wide">${this.card('plan', { type: 'custom:sps-plan-card' })}</div>
      ${this.deviceIds.map((id) => this.card(`device:${id}`, { type: 'custom:sps-device-card', device: id }))}
      ${this.card('history', { type: 'custom:sps-history-card' })}
    </div>`;
  }
}
