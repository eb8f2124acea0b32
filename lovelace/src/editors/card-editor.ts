/**
 * The visual editor every card returns from `getConfigElement()`: plain form fields driven by a
 * field list, so no HA-internal element (ha-form, whose API changes between releases) is needed.
 * It fires HA's `config-changed` event with the whole new config, as Lovelace expects, and shows
 * the card's own validation message under the form.
 */
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import type { z } from 'zod';
import { parseCardConfig } from '../config/card-configs.js';
import { sharedHaDataSource } from '../data/ha-source.js';
import type { Hass } from '../data/hass-types.js';
import { cardStyles } from '../cards/styles.js';

export type EditorField =
  | { readonly name: string; readonly label: string; readonly kind: 'text'; readonly placeholder?: string }
  | { readonly name: string; readonly label: string; readonly kind: 'boolean'; readonly default: boolean }
  | {
      readonly name: string;
      readonly label: string;
      readonly kind: 'select';
      readonly options: readonly string[];
      readonly default: string;
    }
  | {
      readonly name: string;
      readonly label: string;
      readonly kind: 'number';
      readonly min: number;
      readonly max: number;
    }
  /** The add-on's device ids as a picker once the data source knows them, a text field before. */
  | { readonly name: string; readonly label: string; readonly kind: 'device'; readonly optional: boolean }
  /** Comma-separated list; `numeric` parses numbers. */
  | { readonly name: string; readonly label: string; readonly kind: 'list'; readonly numeric?: boolean };

export abstract class SpsCardEditor extends LitElement {
  static override properties = { config: { state: true }, problem: { state: true }, devices: { state: true } };
  static override styles = [
    cardStyles,
    css`
      form {
        display: grid;
        gap: 12px;
      }
      label {
        display: grid;
        gap: 4px;
        font-size: 14px;
      }
      label.check {
        grid-template-columns: 44px 1fr;
        align-items: center;
      }
      input[type='checkbox'] {
        width: 24px;
        height: 24px;
        min-height: 24px;
        margin: 10px;
      }
    `,
  ];

  declare protected config: Record<string, unknown>;
  declare protected problem: string | null;
  declare protected devices: readonly { readonly id: string; readonly name: string }[];
  private hassObject: Hass | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor() {
    super();
    this.config = {};
    this.problem = null;
    this.devices = [];
  }

  /** HA hands the editor `hass` too: the device picker lists what the add-on has. */
  set hass(hass: Hass) {
    this.hassObject = hass;
    if (!this.unsubscribe && this.isConnected) this.listen();
  }

  get hass(): Hass | null {
    return this.hassObject;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hassObject && !this.unsubscribe) this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private listen(): void {
    if (!this.hassObject) return;
    const source = sharedHaDataSource(this.hassObject);
    const follow = (devices: readonly { id: string; name: string }[]): void => {
      const next = devices.map((d) => ({ id: d.id, name: d.name }));
      if (next.map((d) => d.id).join('\n') !== this.devices.map((d) => d.id).join('\n')) this.devices = next;
    };
    this.unsubscribe = source.subscribe((s) => follow(s.devices));
    follow(source.snapshot().devices);
  }

  protected abstract readonly fields: readonly EditorField[];
  protected abstract readonly schema: z.ZodType;

  setConfig(config: Record<string, unknown>): void {
    this.config = { ...config };
    this.problem = this.check(this.config);
  }

  private check(config: Record<string, unknown>): string | null {
    try {
      parseCardConfig(this.schema, config);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private change(name: string, value: unknown): void {
    const next: Record<string, unknown> = { ...this.config };
    if (value === undefined || value === '') delete next[name];
    else next[name] = value;
    this.config = next;
    this.problem = this.check(next);
    this.dispatchEvent(new CustomEvent('config-changed', { detail: { config: next }, bubbles: true, composed: true }));
  }

  protected override render(): TemplateResult {
    return html`<form @submit=${(e: Event) => e.preventDefault()}>
      ${this.fields.map((f) => this.renderField(f))}
      ${this.problem ? html`<div class="banner error" role="alert">${this.problem}</div>` : nothing}
    </form>`;
  }

  private renderField(f: EditorField): TemplateResult {
    const value = this.config[f.name];
    switch (f.kind) {
      case 'text':
        return html`<label
          >${f.label}<input
            name=${f.name}
            .value=${typeof value === 'string' ? value : ''}
            placeholder=${f.placeholder ?? ''}
            @change=${(e: Event) => this.change(f.name, (e.target as HTMLInputElement).value.trim())}
        /></label>`;
      case 'boolean':
        return html`<label class="check"
          ><input
            type="checkbox"
            name=${f.name}
            .checked=${typeof value === 'boolean' ? value : f.default}
            @change=${(e: Event) => this.change(f.name, (e.target as HTMLInputElement).checked)}
          />${f.label}</label
        >`;
      case 'select':
        return html`<label
          >${f.label}<select
            name=${f.name}
            @change=${(e: Event) => this.change(f.name, (e.target as HTMLSelectElement).value)}
          >
            ${f.options.map(
              (o) =>
                html`<option value=${o} ?selected=${(typeof value === 'string' ? value : f.default) === o}>
                  ${o}
                </option>`,
            )}
          </select></label
        >`;
      case 'number':
        return html`<label
          >${f.label}<input
            type="number"
            name=${f.name}
            min=${f.min}
            max=${f.max}
            .value=${typeof value === 'number' ? String(value) : ''}
            @change=${(e: Event) => {
              const text = (e.target as HTMLInputElement).value.trim();
              this.change(f.name, text === '' ? undefined : Number(text));
            }}
        /></label>`;
      case 'device':
        if (this.devices.length === 0) {
          return html`<label
            >${f.label}<input
              name=${f.name}
              .value=${typeof value === 'string' ? value : ''}
              @change=${(e: Event) => this.change(f.name, (e.target as HTMLInputElement).value.trim())}
          /></label>`;
        }
        return html`<label
          >${f.label}<select
            name=${f.name}
            @change=${(e: Event) => this.change(f.name, (e.target as HTMLSelectElement).value)}
          >
            ${
              f.optional || typeof value !== 'string' || value === ''
                ? html`<option value="" ?selected=${typeof value !== 'string' || value === ''}>
                    ${f.optional ? 'default' : '—'}
                  </option>`
                : nothing
            }
            ${this.devices.map(
              (d) => html`<option value=${d.id} ?selected=${value === d.id}>${d.name} (${d.id})</option>`,
            )}
          </select></label
        >`;
      case 'list':
        return html`<label
          >${f.label}<input
            name=${f.name}
            .value=${Array.isArray(value) ? value.join(', ') : ''}
            @change=${(e: Event) => {
              const items = (e.target as HTMLInputElement).value
                .split(',')
                .map((x) => x.trim())
                .filter((x) => x !== '');
              this.change(f.name, items.length === 0 ? undefined : f.numeric ? items.map(Number) : items);
            }}
        /></label>`;
    }
  }
}
