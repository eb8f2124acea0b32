/**
 * What every card shares: the data source (HA's from `hass`, or the one the panel hands over), the
 * snapshot it renders, the stale state (greys the card out and disables commands), config handling
 * with HA's convention (throw in `setConfig`), and the outcome line of the last command.
 */
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { Hass } from '../data/hass-types.js';
import { sharedHaDataSource } from '../data/ha-source.js';
import { EMPTY_SNAPSHOT, type CommandOutcome, type SpsDataSource, type SpsSnapshot } from '../data/source.js';
import type { TimeSettings } from '../format/time.js';

export abstract class SpsBaseCard<C extends { title?: string | undefined }> extends LitElement {
  static override properties = {
    snapshot: { state: true },
    outcome: { state: true },
    busy: { state: true },
    config: { state: true },
  };

  declare protected snapshot: SpsSnapshot;
  declare protected outcome: CommandOutcome | null;
  declare protected busy: boolean;
  declare protected config: C | undefined;

  private dataSource: SpsDataSource | null = null;
  private unsubscribe: (() => void) | null = null;
  private hassObject: Hass | null = null;

  constructor() {
    super();
    this.snapshot = EMPTY_SNAPSHOT;
    this.outcome = null;
    this.busy = false;
    this.config = undefined;
  }

  /** Validates and keeps the config; throws with `field: message` (HA shows it in its error card). */
  setConfig(config: unknown): void {
    this.config = this.parseConfig(config);
  }

  protected abstract parseConfig(config: unknown): C;
  protected abstract renderBody(): TemplateResult | typeof nothing;
  protected abstract defaultTitle(): string;

  /** HA hands every card the `hass` object on every state change. */
  set hass(hass: Hass) {
    this.hassObject = hass;
    if (!this.dataSource || this.dataSource.host === 'ha') this.attach(sharedHaDataSource(hass));
  }

  get hass(): Hass | null {
    return this.hassObject;
  }

  /** The add-on's panel hands over its HttpDataSource (and tests a fake one). */
  set source(source: SpsDataSource) {
    this.attach(source);
  }

  get source(): SpsDataSource | null {
    return this.dataSource;
  }

  getCardSize(): number {
    return 4;
  }

  /** Sections dashboards (12 columns per section): full width by default, never narrower than half. */
  getGridOptions(): { columns: number; min_columns: number } {
    return { columns: 12, min_columns: 6 };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.dataSource && !this.unsubscribe) this.listen(this.dataSource);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    this.toggleAttribute('stale', this.snapshot.stale);
  }

  private attach(source: SpsDataSource): void {
    if (this.dataSource === source) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.dataSource = source;
    this.snapshot = source.snapshot();
    if (this.isConnected) this.listen(source);
  }

  private listen(source: SpsDataSource): void {
    this.unsubscribe = source.subscribe((s) => {
      this.snapshot = s;
    });
    this.snapshot = source.snapshot();
  }

  protected get time(): TimeSettings | null {
    return this.dataSource?.timeSettings() ?? null;
  }

  /** Commands are off while stale, while one is running, and without a source. */
  protected get commandsDisabled(): boolean {
    return this.snapshot.stale || this.busy || !this.dataSource;
  }

  /** Runs one command; its outcome (a refusal with the guard's reason, or done) shows in the card. */
  protected async run(command: (source: SpsDataSource) => Promise<CommandOutcome>): Promise<void> {
    const source = this.dataSource;
    if (!source || this.commandsDisabled) return;
    this.busy = true;
    try {
      this.outcome = await command(source);
    } catch (err) {
      this.outcome = { ok: false, message: err instanceof Error ? err.message : String(err) };
    } finally {
      this.busy = false;
    }
  }

  protected override render(): TemplateResult {
    const s = this.snapshot;
    const title = this.config?.title ?? this.defaultTitle();
    return html`<div class="card">
      ${title ? html`<h2>${title}</h2>` : nothing}
      ${
        s.stale
          ? html`<div class="banner stale" role="status">
              Offline — ${s.staleReason ?? 'the add-on is not answering'}. Controls are disabled.
            </div>`
          : nothing
      }
      ${!s.stale && s.error ? html`<div class="banner error" role="alert">${s.error}</div>` : nothing}
      ${this.renderBody()}
      ${
        this.outcome
          ? html`<div class="banner ${this.outcome.ok ? 'ok' : 'error'}" role=${this.outcome.ok ? 'status' : 'alert'}>
              ${this.outcome.ok ? this.outcome.message : `Refused: ${this.outcome.message}`}
            </div>`
          : nothing
      }
    </div>`;
  }
}
