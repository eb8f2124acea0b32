/**
 * Every card and editor: defined when this module is evaluated (index.ts evaluates it once the host's
 * registry is in force), and listed in `window.customCards` so HA's card picker offers them without
 * YAML. Also exports the data layer for the add-on's panel.
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
export { SpsControlCard, SpsDeviceCard, SpsFlowCard, SpsHistoryCard, SpsPanel, SpsPlanCard };

export const VERSION = '0.1.0';

export interface CustomCardEntry {
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

/**
 * What HA's card picker lists (name, description, and `preview: true` so it renders a live preview
 * from `getStubConfig`). Every card is here: one missing is a card the user can only add in YAML.
 */
export const CARDS: readonly CustomCardEntry[] = [
  {
    type: 'sps-flow-card',
    name: 'Smart Power Station: power flow',
    description: 'Live power flow: grid, solar, home, each battery with its SOC, the relays and the planned loads.',
  },
  {
    type: 'sps-plan-card',
    name: 'Smart Power Station: 48-hour plan',
    description: 'The plan as a chart or a per-slot table with reasons, the next action and the savings.',
  },
  {
    type: 'sps-control-card',
    name: 'Smart Power Station: controls',
    description: 'Optimiser on/off and goal; force charge, discharge or hold with a power and a duration.',
  },
  {
    type: 'sps-device-card',
    name: 'Smart Power Station: device',
    description: 'One device at a glance: state, main readings, availability with the reason, its controls.',
  },
  {
    type: 'sps-history-card',
    name: 'Smart Power Station: history',
    description: 'SOC, grid, solar, battery and cost over 24 hours or 7 days, with the no-optimiser baseline.',
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
