/**
 * custom:sps-device-card — one device at a glance: availability with the reason, relay on/off and
 * power, the main readings with units and friendly names, its controls, and a link to its page.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { DeviceCardConfig, parseCardConfig } from '../config/card-configs.js';
import type { DeviceJson } from '../data/api-types.js';
import { sharedHaDataSource } from '../data/ha-source.js';
import type { Hass } from '../data/hass-types.js';
import { formatDayTime } from '../format/time.js';
import { formatPower, formatReading } from '../format/units.js';
import { controlCommand, deviceControls, deviceRelay, readingRows, type DeviceControl } from '../model/device-view.js';
import { SpsBaseCard } from './base-card.js';
import { cardStyles } from './styles.js';

export class SpsDeviceCard extends SpsBaseCard<DeviceCardConfig> {
  static override styles = [
    cardStyles,
    css`
      .state {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        align-items: baseline;
        margin-bottom: 8px;
      }
      .dot {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--sps-ok);
        margin-right: 4px;
      }
      .dot.off {
        background: var(--sps-error);
      }
      .relay {
        font-size: 20px;
        font-weight: 500;
        margin: 4px 0 8px;
      }
      .controls {
        display: grid;
        gap: 8px;
        margin-top: 12px;
        padding-top: 8px;
        border-top: 1px solid var(--sps-line);
      }
      .control {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 8px;
        align-items: center;
      }
      .control input {
        width: 96px;
      }
      .link {
        display: inline-flex;
        align-items: center;
        min-height: 44px;
        margin-top: 8px;
      }
    `,
  ];

  /** HA passes `hass` to the card picker's stub: the first device the add-on has, when it has answered already. */
  static getStubConfig(hass?: Hass): Record<string, unknown> {
    const first = hass ? sharedHaDataSource(hass).snapshot().devices[0]?.id : undefined;
    return { type: 'custom:sps-device-card', device: first ?? 'station' };
  }

  static getConfigElement(): HTMLElement {
    return document.createElement('sps-device-card-editor');
  }

  protected parseConfig(config: unknown): DeviceCardConfig {
    return parseCardConfig(DeviceCardConfig, config);
  }

  protected defaultTitle(): string {
    return this.device()?.name ?? this.config?.device ?? 'Device';
  }

  private device(): DeviceJson | undefined {
    return this.snapshot.devices.find((d) => d.id === this.config?.device);
  }

  protected renderBody(): TemplateResult {
    const id = this.config?.device ?? '';
    const device = this.device();
    if (!device) {
      if (this.snapshot.devices.length === 0) return html`<p class="muted">Waiting for the add-on…</p>`;
      return html`<div class="banner error" role="alert">
        device: no device "${id}" in the add-on (it has: ${this.snapshot.devices.map((d) => d.id).join(', ')})
      </div>`;
    }
    const readings = this.snapshot.readings[device.id];
    const relay = deviceRelay(readings);
    const time = this.time;
    const link = this.source?.deviceLink(device.id) ?? null;
    const a = device.availability;
    return html`
      <div class="state">
        <span><span class="dot ${a.available ? '' : 'off'}"></span>${a.available ? 'online' : 'unavailable'}</span>
        ${!a.available ? html`<span class="small" style="color: var(--sps-error)">${a.reason ?? 'no reason given'}</span>` : nothing}
        ${a.since && time ? html`<span class="small muted">since ${formatDayTime(a.since, time)}</span>` : nothing}
        <span class="small muted">${device.driver}${device.position ? ` · ${device.position}` : ''}</span>
      </div>
      ${
        relay
          ? html`<div class="relay">
              ${relay.on === null ? '—' : relay.on ? 'On' : 'Off'}${relay.powerW !== null ? ` · ${formatPower(relay.powerW)}` : ''}
            </div>`
          : nothing
      }
      <div class="kv">
        ${readingRows(device, readings, this.config?.readings ?? []).map(
          (r) => html`<span>${r.name}</span><span class="v">${r.text}</span>`,
        )}
      </div>
      ${this.config?.show_controls === false ? nothing : this.renderControls(device)}
      ${link ? html`<a class="link" href=${link} @click=${(e: MouseEvent) => this.follow(e, link)}>Open the device page</a>` : nothing}
    `;
  }

  /**
   * Inside HA a link is followed the way HA's own cards do (history state + `location-changed`), so
   * the app does not reload; the panel's link is an ordinary anchor.
   */
  private follow(e: MouseEvent, link: string): void {
    if (this.source?.host !== 'ha' || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    history.pushState(null, '', link);
    window.dispatchEvent(new CustomEvent('location-changed', { detail: { replace: false } }));
  }

  private renderControls(device: DeviceJson): TemplateResult | typeof nothing {
    const controls = deviceControls(device, this.snapshot.readings[device.id]);
    if (controls.length === 0) return nothing;
    const off = this.commandsDisabled || !device.availability.available;
    return html`<div class="controls">${controls.map((c) => this.renderControl(device.id, c, off))}</div>`;
  }

  private send(deviceId: string, control: DeviceControl, value?: boolean | string | number): void {
    const command = controlCommand(control, value);
    if (!command) {
      this.outcome = { ok: false, message: `${control.name}: enter a number` };
      return;
    }
    void this.run((s) => s.sendCommand(deviceId, command));
  }

  private renderControl(deviceId: string, c: DeviceControl, off: boolean): TemplateResult {
    switch (c.kind) {
      case 'button':
        return html`<div class="control">
          <span>${c.name}</span><button ?disabled=${off} @click=${() => this.send(deviceId, c)}>Run</button>
        </div>`;
      case 'switch':
        return html`<div class="control">
          <span>${c.name}</span>
          <button
            role="switch"
            aria-checked=${c.current === true}
            aria-pressed=${c.current === true}
            ?disabled=${off}
            @click=${() => this.send(deviceId, c, c.current !== true)}
          >
            ${c.current === null ? 'Turn on' : c.current === true ? 'On' : 'Off'}
          </button>
        </div>`;
      case 'select':
        return html`<div class="control">
          <span>${c.name}</span>
          <select
            ?disabled=${off}
            @change=${(e: Event) => this.send(deviceId, c, (e.target as HTMLSelectElement).value)}
          >
            ${c.current === null ? html`<option value="" selected disabled>—</option>` : nothing}
            ${(c.options ?? []).map((o) => html`<option value=${o} ?selected=${c.current === o}>${o}</option>`)}
          </select>
        </div>`;
      case 'number':
        return html`<div class="control">
          <span
            >${c.name}${c.current !== null ? html` <span class="muted small">(${formatReading(c.current, c.unit)})</span>` : nothing}</span
          >
          <span class="row">
            <input
              type="number"
              inputmode="decimal"
              aria-label=${c.name}
              min=${c.min ?? ''}
              max=${c.max ?? ''}
              step=${c.step ?? 'any'}
              placeholder=${c.unit ?? ''}
            />
            <button
              ?disabled=${off}
              @click=${(e: Event) => {
                const input = (e.currentTarget as HTMLElement).previousElementSibling as HTMLInputElement;
                const text = input.value.trim();
                this.send(deviceId, c, text === '' ? Number.NaN : Number(text));
              }}
            >
              Set
            </button>
          </span>
        </div>`;
    }
  }
}
