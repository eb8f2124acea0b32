import { z } from 'zod';

/**
 * The add-on ⇄ bridge websocket protocol (docs/bridge-protocol.md). The Python side is
 * integration-bridge/custom_components/smart_power_station/websocket_api.py.
 */
export const PROTOCOL_VERSION = 1;
export const DOMAIN = 'smart_power_station';
export const BRIDGE_EVENT = `${DOMAIN}_bridge`;

export const MessageType = {
  hello: `${DOMAIN}/hello`,
  subscribe: `${DOMAIN}/subscribe`,
  declare: `${DOMAIN}/declare`,
  states: `${DOMAIN}/states`,
  availability: `${DOMAIN}/availability`,
  actionResult: `${DOMAIN}/action_result`,
  heartbeat: `${DOMAIN}/heartbeat`,
  repairs: `${DOMAIN}/repairs`,
  fireEvent: `${DOMAIN}/fire_event`,
} as const;

/**
 * The one HA bus event the add-on may fire through the bridge (`smart_power_station/fire_event`,
 * added in bridge 0.1.2 with protocol 1 unchanged): a change of the demand-response calendar.
 */
export const DR_EVENT_TYPE = `${DOMAIN}_dr_event`;

/**
 * One HA repair issue the add-on wants shown (added in bridge 0.1.2; protocol 1 is unchanged: an older
 * bridge answers `unknown_command` and the add-on carries on). `key` is a translation key of the bridge's
 * `issues` strings; `id` is stable per problem so raising it again updates the same repair.
 */
export interface HaRepairIssue {
  id: string;
  key: string;
  severity: 'warning' | 'error';
  placeholders: Record<string, string>;
}

/** Entity as the bridge expects it: EntityDescriptor in snake_case, units already HA-facing. */
export interface HaEntityDeclaration {
  key: string;
  platform: 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'button';
  /**
   * The entity's name, icon and state names in the bridge's translations (`entity.<platform>.<key>`);
   * sent only to a bridge whose hello lists BRIDGE_FEATURE_TRANSLATION_KEY (bridge 0.2.0+), so an
   * older bridge, whose schema refuses unknown fields, still accepts the declaration.
   */
  translation_key?: string;
  /** Values for the `{placeholders}` of the translated name. */
  translation_placeholders?: Record<string, string>;
  /** English name: what a bridge shows when it has no translation for the key. */
  name: string;
  device_class?: string;
  state_class?: 'measurement' | 'total' | 'total_increasing';
  unit?: string;
  icon?: string;
  entity_category?: 'config' | 'diagnostic';
  min?: number;
  max?: number;
  step?: number;
  mode?: 'auto' | 'box' | 'slider';
  options?: string[];
  suggested_display_precision?: number;
  enabled_by_default?: boolean;
  command?: { command: string; field?: string; fixed?: Record<string, number | string | boolean> };
  /** State attributes HA's recorder must not store (e.g. `forecast`, a whole horizon on every change). */
  unrecorded_attributes?: string[];
}

export interface HaDeviceDeclaration {
  id: string;
  name?: string;
  manufacturer: string;
  model: string;
  serial: string;
  firmware?: string;
  hardware?: string;
  configuration_url?: string;
  entities: HaEntityDeclaration[];
}

export interface HaHubDeclaration {
  name: string;
  addon_version: string;
  configuration_url?: string;
}

export type HaStateValue = number | string | boolean | null;

/** Extra state attributes (JSON); sent with a state, kept by the bridge until the next ones. */
export type HaStateAttributes = Record<string, unknown>;

export interface HaStateUpdate {
  device_id: string;
  key: string;
  state: HaStateValue;
  attributes?: HaStateAttributes;
}

export interface HaAvailabilityUpdate {
  device_id: string;
  available: boolean;
  reason?: string;
}

/** A bridge that lists this in its hello result takes `translation_key` and `translation_placeholders`. */
export const BRIDGE_FEATURE_TRANSLATION_KEY = 'translation_key';

export const HelloResult = z.object({
  protocol: z.number().int(),
  bridge_version: z.string(),
  ha_version: z.string(),
  loaded: z.boolean(),
  /** Optional additions to protocol 1 this bridge understands (absent before bridge 0.2.0). */
  features: z.array(z.string()).optional(),
});
export type HelloResult = z.infer<typeof HelloResult>;

/** An HA-side action delivered on the subscription. Validated before any handler sees it. */
export const BridgeAction = z.discriminatedUnion('kind', [
  z.object({
    type: z.literal('action'),
    request_id: z.string().min(1),
    kind: z.literal('entity'),
    action: z.enum(['turn_on', 'turn_off', 'set_value', 'select_option', 'press']),
    device_id: z.string().min(1),
    key: z.string().min(1),
    platform: z.enum(['switch', 'number', 'select', 'button']),
    value: z.union([z.number(), z.string(), z.boolean()]).optional(),
  }),
  z.object({
    type: z.literal('action'),
    request_id: z.string().min(1),
    kind: z.literal('service'),
    service: z.string().min(1),
    device_id: z.string().min(1).optional(),
    data: z.record(z.string(), z.unknown()),
  }),
]);
export type BridgeAction = z.infer<typeof BridgeAction>;
export type EntityAction = Extract<BridgeAction, { kind: 'entity' }>;

/**
 * A read the cards make through the bridge (`smart_power_station/query` in HA): a GET of one of the
 * add-on's API paths; the reply's `result.body` is the JSON answer. Kept apart from BridgeAction
 * because it changes nothing and has its own handler.
 */
export const BridgeQuery = z.object({
  type: z.literal('action'),
  request_id: z.string().min(1),
  kind: z.literal('query'),
  path: z.string().min(1).max(512),
});
export type BridgeQuery = z.infer<typeof BridgeQuery>;
export type ServiceAction = Extract<BridgeAction, { kind: 'service' }>;

export const BridgeBusEvent = z.object({
  event_type: z.literal(BRIDGE_EVENT),
  data: z.object({ type: z.enum(['loaded', 'unloaded']), protocol: z.number().optional() }),
});

/** The error object HA puts in a failed result (home-assistant-js-websocket rejects with it). */
export const HaCommandError = z.object({ code: z.string(), message: z.string().optional() });
