/**
 * custom:sps-control-card — the optimiser on/off and its goal; force charge / force discharge / hold
 * SOC with a power and a duration (presets or custom) through the integration's services (or the
 * panel's API); the active override with its end time and a cancel button; refusals from the safety
 * guard shown with their reason (the base card's outcome line).
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { ControlCardConfig, parseCardConfig } from '../config/card-configs.js';
import { GOALS, type Goal, type OverrideKind } from '../data/api-types.js';
import { formatDayTime, formatDuration } from '../format/time.js';
import { formatKw, formatPercent } from '../format/units.js';
import { parseOverrideForm, presetLabel } from '../model/override-form.js';
import { SpsBaseCard } from './base-card.js';
import { cardStyles } from './styles.js';

const KINDS: readonly { kind: OverrideKind; label: string }[] = [
  { kind: 'force_charge', label: 'Charge' },
  { kind: 'force_discharge', label: 'Discharge' },
  { kind: 'hold_soc', label: 'Hold SOC' },
];

const GOAL_LABELS: Record<Goal, string> = {
  cost: 'Lowest cost',
  self_consumption: 'Self-consumption',
  off: 'Off (device decides)',
};

export class SpsControlCard extends SpsBaseCard<ControlCardConfig> {
  static override properties = {
    ...SpsBaseCard.properties,
    kind: { state: true },
    duration: { state: true },
    customDuration: { state: true },
    power: { state: true },
    soc: { state: true },
    formError: { state: true },
  };

  static override styles = [
    cardStyles,
    css`
      section {
        display: grid;
        gap: 8px;
        padding: 8px 0;
        border-top: 1px solid var(--sps-line);
      }
      section:first-of-type {
        border-top: none;
      }
      .label {
        font-size: 13px;
        color: var(--sps-muted);
      }
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
        gap: 8px;
      }
      label {
        display: grid;
        gap: 4px;
        font-size: 13px;
      }
      input {
        width: 100%;
      }
      .field-error {
        color: var(--sps-error);
        font-size: 13px;
      }
    `,
  ];

  declare private kind: OverrideKind;
  declare private duration: string;
  declare private customDuration: string;
  declare private power: string;
  declare private soc: string;
  declare private formError: string | null;

  constructor() {
    super();
    this.kind = 'force_charge';
    this.duration = '';
    this.customDuration = '';
    this.power = '';
    this.soc = '';
    this.formError = null;
  }

  static getStubConfig(): Record<string, unknown> {
    return { type: 'custom:sps-control-card' };
  }

  static getConfigElement(): HTMLElement {
    return document.createElement('sps-control-card-editor');
  }

  protected parseConfig(config: unknown): ControlCardConfig {
    return parseCardConfig(ControlCardConfig, config);
  }

  protected defaultTitle(): string {
    return 'Battery control';
  }

  override getCardSize(): number {
    return 6;
  }

  protected renderBody(): TemplateResult {
    const plan = this.snapshot.plan;
    const off = this.commandsDisabled || !plan;
    const time = this.time;
    const presets = this.config?.duration_presets ?? [30, 60, 120, 240];
    return html`
      <section aria-label="Optimiser">
        <div class="row">
          <button
            class="optimiser"
            aria-pressed=${plan?.enabled ? 'true' : 'false'}
            ?disabled=${off}
            @click=${() => void this.run((s) => s.setOptimizer({ enabled: !plan?.enabled }))}
          >
            Optimiser ${plan?.enabled ? 'on' : 'off'}
          </button>
          ${
            this.config?.show_goal === false
              ? nothing
              : html`<label class="row" style="gap: 8px"
                  ><span class="label">Goal</span>
                  <select
                    name="goal"
                    ?disabled=${off}
                    @change=${(e: Event) => {
                      const goal = (e.target as HTMLSelectElement).value as Goal;
                      void this.run((s) => s.setOptimizer({ goal }));
                    }}
                  >
                    ${GOALS.map((g) => html`<option value=${g} ?selected=${plan?.goal === g}>${GOAL_LABELS[g]}</option>`)}
                  </select></label
                >`
          }
        </div>
        ${plan && !plan.running && plan.off_reason ? html`<div class="small muted">${plan.off_reason}</div>` : nothing}
      </section>
      ${
        plan?.override && time
          ? html`<section aria-label="Active override">
              <div>
                <b>${KINDS.find((k) => k.kind === plan.override?.kind)?.label ?? plan.override.kind}</b>
                ${plan.override.power_w !== undefined ? ` at ${formatKw(plan.override.power_w / 1000)}` : ''}
                ${plan.override.soc_pct !== undefined ? ` at ${formatPercent(plan.override.soc_pct)}` : ''} until
                ${formatDayTime(plan.override.until, time)}
                <span class="muted small">(${formatDuration(Date.parse(plan.override.until) - Date.now())} left)</span>
              </div>
              <div class="row">
                <button
                  class="cancel"
                  ?disabled=${this.commandsDisabled}
                  @click=${() => void this.run((s) => s.cancelOverride())}
                >
                  Cancel override
                </button>
              </div>
            </section>`
          : nothing
      }
      <section aria-label="Override">
        <div class="row" role="radiogroup" aria-label="What to do">
          ${KINDS.map(
            (k) =>
              html`<button
                role="radio"
                aria-checked=${this.kind === k.kind}
                aria-pressed=${this.kind === k.kind}
                @click=${() => (this.kind = k.kind)}
              >
                ${k.label}
              </button>`,
          )}
        </div>
        <div class="label">For how long</div>
        <div class="row">
          ${presets.map(
            (m) =>
              html`<button
                class="preset"
                aria-pressed=${this.duration === String(m)}
                @click=${() => {
                  this.duration = String(m);
                  this.customDuration = '';
                }}
              >
                ${presetLabel(m)}
              </button>`,
          )}
        </div>
        <div class="fields">
          <label
            >Custom (minutes)<input
              name="duration"
              type="number"
              inputmode="numeric"
              min="1"
              .value=${this.customDuration}
              @input=${(e: Event) => {
                this.customDuration = (e.target as HTMLInputElement).value;
                this.duration = '';
              }}
          /></label>
          ${
            this.kind === 'hold_soc'
              ? html`<label
                  >SOC to hold (%)<input
                    name="soc"
                    type="number"
                    inputmode="decimal"
                    min="0"
                    max="100"
                    placeholder="current"
                    .value=${this.soc}
                    @input=${(e: Event) => (this.soc = (e.target as HTMLInputElement).value)}
                /></label>`
              : nothing
          }
          <label
            >Power (kW)<input
              name="power"
              type="number"
              inputmode="decimal"
              min="0"
              step="0.1"
              placeholder="battery max"
              .value=${this.power}
              @input=${(e: Event) => (this.power = (e.target as HTMLInputElement).value)}
          /></label>
        </div>
        ${this.formError ? html`<div class="field-error" role="alert">${this.formError}</div>` : nothing}
        <div class="row">
          <button class="primary start" ?disabled=${off} @click=${() => void this.start()}>Start</button>
        </div>
      </section>
    `;
  }

  private async start(): Promise<void> {
    const parsed = parseOverrideForm({
      kind: this.kind,
      powerKw: this.power,
      socPct: this.soc,
      duration: this.duration !== '' ? this.duration : this.customDuration,
    });
    if (!parsed.ok) {
      this.formError = parsed.message;
      return;
    }
    this.formError = null;
    await this.run((s) => s.startOverride(parsed.request));
  }
}
