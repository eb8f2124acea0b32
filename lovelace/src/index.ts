/**
 * The bundle's entry: defines every card and editor, and lists the cards in `window.customCards` so
 * HA's card picker offers them without YAML. Also exports the data layer for the add-on's panel.
 */
import { SpsControlCard } from './cards/control-card.js';
import { SpsDeviceCard } from './cards/device-card.js';
import { SpsFlowCard } from './cards/flow-card.js';
import { SpsHistoryCard } from './cards/history-card.js';
import { SpsPlanCard } from './cards/plan-card.js';
import { SpsPanel } from './panel/sps-panel.js';
import {
  SpsControlCardEditor,
  SpsDeviceCardEditor,
  SpsFlowCardEditor,
  SpsHistoryCardEditor,
  SpsPlanCardEditor,
} from './editors/editors.js';

export { HttpDataSource, WRITE_TOKEN_KEY } from './data/http-source.js';
export { HaDataSource, sharedHaDataSource, QUERY_COMMAND } from './data/ha-source.js';
// The panel behind HA's ingress takes the HA user's zone and format from the frame around it (addon/web/panel.js).
export { hassTimeSettings } from './format/time.js';
export type * from './data/source.js';
export { SpsControlCard, SpsDeviceCard, SpsFlowCard, SpsHistoryCard, SpsPanel, SpsPlanCard };

export const VERSION = '0.1.0';

interface CustomCardEntry {
  readonly type: string;
  readonly name: string;
  readonly description: string;
  readonly preview?: boolean;
  readonly documentationURL?: string;
}

const ELEMENTS: readonly (readonly [string, CustomElementConstructor])[] = [
  ['sps-flow-card', SpsFlowCard],
  ['sps-plan-card', SpsPlanCard],
  ['sps-control-card', SpsControlCard],
  ['sps-device-card', SpsDeviceCard],
  ['sps-history-card', SpsHistoryCard],
  ['sps-panel', SpsPanel],
  ['sps-flow-card-editor', SpsFlowCardEditor],
  ['sps-plan-card-editor', SpsPlanCardEditor],
  ['sps-control-card-editor', SpsControlCardEditor],
  ['sps-device-card-editor', SpsDeviceCardEditor],
  ['sps-history-card-editor', SpsHistoryCardEditor],
];

export const CARDS: readonly CustomCardEntry[] = [
  {
    type: 'sps-flow-card',
    name: 'Smart Power Station: power flow',
    description: 'Live power flow with batteries, relays and loads.',
  },
];

function register(): void {
  for (const [name, element] of ELEMENTS) {
    // Loaded twice (the integration's resource and a HACS copy): the first definition wins, quietly.
    if (!customElements.get(name)) customElements.define(name, element);
  }
  const w = window as unknown as { customCards?: CustomCardEntry[] };
  w.customCards ??= [];
  for (const card of CARDS) {
    if (!w.customCards.some((c) => c.type === card.type)) w.customCards.push({ ...card, preview: true });
  }
}

register();
