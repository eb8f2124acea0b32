/**
 * The bundle's entry. Inside Home Assistant it first waits until HA's custom-element registry is in
 * force (host-registry.ts says why), then evaluates the elements module — lit, every card and editor,
 * their definitions and the card picker's `window.customCards` entries — which esbuild keeps lazy in
 * the same file because it is imported dynamically. Also exports the data layer for the add-on's panel.
 */
import { whenHostRegistryReady } from './host-registry.js';

await whenHostRegistryReady();
const elements = await import('./elements.js');

export const {
  CARDS,
  HaDataSource,
  HttpDataSource,
  QUERY_COMMAND,
  SpsControlCard,
  SpsDeviceCard,
  SpsFlowCard,
  SpsHistoryCard,
  SpsPanel,
  SpsPlanCard,
  VERSION,
  WRITE_TOKEN_KEY,
  hassTimeSettings,
  sharedHaDataSource,
} = elements;
export type * from './data/source.js';
