import { css } from 'lit';

/**
 * Shared look: HA's theme variables (light and dark follow the user's theme), with fallbacks for the
 * add-on's panel outside HA. Phone first: body text ≥ 12 px, every touch target ≥ 44 px.
 */
export const cardStyles = css`
  :host {
    display: block;
    --sps-grid: var(--energy-grid-consumption-color, #488fc2);
    --sps-grid-out: var(--energy-grid-return-color, #8353d1);
    --sps-solar: var(--energy-solar-color, #ff9800);
    --sps-battery-in: var(--energy-battery-in-color, #f06292);
    --sps-battery-out: var(--energy-battery-out-color, #4db6ac);
    --sps-home: var(--primary-color, #03a9f4);
    --sps-muted: var(--secondary-text-color, #6b6b6b);
    --sps-line: var(--divider-color, rgba(127, 127, 127, 0.3));
    --sps-error: var(--error-color, #db4437);
    --sps-ok: var(--success-color, #43a047);
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, system-ui, sans-serif));
    font-size: 14px;
  }
  .card {
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px);
    border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
    box-shadow: var(--ha-card-box-shadow, none);
    padding: 12px 16px 16px;
    box-sizing: border-box;
    overflow: hidden;
    transition:
      opacity 0.3s,
      filter 0.3s;
  }
  :host([stale]) .card {
    opacity: 0.55;
    filter: grayscale(1);
  }
  h2 {
    font-size: 18px;
    font-weight: 500;
    margin: 0 0 8px;
    line-height: 28px;
  }
  .muted {
    color: var(--sps-muted);
  }
  .small {
    font-size: 12px;
  }
  .banner {
    border-radius: 8px;
    padding: 8px 12px;
    margin: 0 0 8px;
    font-size: 13px;
    line-height: 18px;
  }
  .banner.stale {
    background: var(--sps-line);
  }
  .banner.error {
    color: var(--sps-error);
    border: 1px solid var(--sps-error);
  }
  .banner.ok {
    color: var(--sps-ok);
    border: 1px solid var(--sps-ok);
  }
  button,
  select,
  input {
    font: inherit;
    font-size: 14px;
    min-height: 44px;
    box-sizing: border-box;
  }
  button {
    min-width: 44px;
    border-radius: 22px;
    border: 1px solid var(--sps-line);
    background: var(--secondary-background-color, #f3f3f3);
    color: inherit;
    padding: 0 16px;
    cursor: pointer;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
    border-color: transparent;
  }
  button[aria-pressed='true'] {
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button:disabled,
  select:disabled,
  input:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  select,
  input {
    border-radius: 8px;
    border: 1px solid var(--sps-line);
    background: var(--input-fill-color, var(--card-background-color, #fff));
    color: inherit;
    padding: 0 8px;
  }
  a {
    color: var(--primary-color, #03a9f4);
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  .kv {
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto;
    gap: 4px 12px;
    align-items: baseline;
  }
  .kv > .v {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
`;
