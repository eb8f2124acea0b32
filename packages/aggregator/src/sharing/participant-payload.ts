/**
 * The community small-VPP participant message (communityvirtualpowerplant/smartPowerStation,
 * facts from its MQTT conventions): topic `OpenDemandResponse/Participant/<name>`, payload the
 * `#`-joined values `battery% # ac_out W # ac_in W # dc_out W # dc_in W # relay state # pv W #
 * rpi W # load # timestamp`; the announce is the name on `OpenDemandResponse/participants`.
 * A field we do not measure is left empty.
 */
import { localParts } from '@sps/core';

export const PARTICIPANTS_TOPIC = 'OpenDemandResponse/participants';

export function participantTopic(name: string): string {
  return `OpenDemandResponse/Participant/${name}`;
}

/** Our canonical (or common device-specific) reading for each community field, in order. */
export const PARTICIPANT_FIELDS = [
  { field: 'battery%', key: 'battery_soc' },
  { field: 'ac_out W', key: 'ac_output_power' },
  { field: 'ac_in W', key: 'ac_input_power' },
  { field: 'dc_out W', key: 'dc_output_power' },
  { field: 'dc_in W', key: 'dc_input_power' },
  { field: 'relay state', key: 'relay_on' },
  { field: 'pv W', key: 'pv_power' },
  /** The community kit meters its Raspberry Pi; we have no such reading. */
  { field: 'rpi W', key: null },
  { field: 'load', key: 'load_power' },
] as const;

export type LatestValues = Readonly<Record<string, number | string | boolean>>;

function formatValue(value: number | string | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : '';
  // A string may not carry the separator.
  return value.replace(/#/g, '');
}

/** `YYYY-MM-DD HH:MM:SS` in `timeZone`, the form the community event payload uses. */
export function communityTimestamp(atMs: number, timeZone: string): string {
  const p = localParts(atMs, timeZone);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

export function participantPayload(latest: LatestValues, atMs: number, timeZone: string): string {
  const values = PARTICIPANT_FIELDS.map(({ key }) => formatValue(key === null ? undefined : latest[key]));
  return [...values, communityTimestamp(atMs, timeZone)].join('#');
}
