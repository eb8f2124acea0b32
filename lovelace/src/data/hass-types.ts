/**
 * The part of Home Assistant's frontend `hass` object the cards use (a structural subset of
 * home-assistant-frontend's HomeAssistant type, which is not published as a package).
 */
import type { HassTimeFacts } from '../format/time.js';

export interface HassEntityState {
  readonly entity_id: string;
  readonly state: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly last_changed?: string;
  readonly last_updated?: string;
}

export interface HassEntityRegistryEntry {
  readonly entity_id: string;
  readonly device_id?: string | null;
  readonly platform?: string;
  readonly name?: string | null;
}

export interface HassDeviceEntry {
  readonly id: string;
  readonly name?: string | null;
  readonly name_by_user?: string | null;
}

export interface Hass extends HassTimeFacts {
  readonly states: Readonly<Record<string, HassEntityState>>;
  readonly entities?: Readonly<Record<string, HassEntityRegistryEntry>>;
  readonly devices?: Readonly<Record<string, HassDeviceEntry>>;
  readonly themes?: { readonly darkMode?: boolean };
  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown>;
  callWS<T>(message: { type: string } & Record<string, unknown>): Promise<T>;
}

export const DOMAIN = 'smart_power_station';
