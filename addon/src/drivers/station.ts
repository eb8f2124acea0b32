import type { Device } from '@sps/core';
import {
  createPowerStation,
  DEFAULT_MIN_ON_OFF_MS,
  STATION_AC_OUTPUT_CHANNEL,
  STATION_GRID_CHARGE_CHANNEL,
  type MeterPositionSpec,
  type SwitchPositionSpec,
} from '@sps/device-station';
import { z } from 'zod';
import { defineDriver, type MemberReference, type SwitchedRelay } from '../driver-types.js';
import { expecting, intBetween, nonEmptyText } from '../zod-fields.js';

/** In `p1`/`p3`: the station's own switch (grid charging / AC output) instead of a relay entry. */
export const OWN_SWITCH = 'station';

/** The name of another device entry (matched as the options match names: by its device id). */
const deviceName = nonEmptyText(64);
const channel = intBetween(0, 15);

/**
 * A `driver: station` entry: the power station and the relays/sensor around its transfer switch,
 * named by their own device entries (flat: HA's add-on schema cannot nest). See
 * packages/devices/station/README.md for what each position does.
 */
const stationFields = z.strictObject({
  station: deviceName.describe('the power station: the name of its own device entry'),
  p1: deviceName.describe('the relay between the grid and the station\'s AC input (or "station": its own switch)'),
  p1_channel: channel.optional().describe("p1's relay channel (default 0)"),
  p2: deviceName.optional().describe('the meter/relay of the loads behind the transfer switch'),
  p2_channel: channel.optional().describe("p2's meter channel"),
  p3: deviceName.optional().describe('the relay from the station\'s AC output to the transfer switch (or "station")'),
  p3_channel: channel.optional().describe("p3's relay channel (default 0)"),
  p4: deviceName.optional().describe("the PV sensor on the station's solar input"),
  charge_power_w: z
    .number({ error: expecting("expected the station's grid-charging power in W (e.g. 950)") })
    .positive({ error: 'must be > 0' })
    .max(100_000, { error: 'must be at most 100000' })
    .describe("the station's grid-charging power, W"),
  p2_load_cap_w: z
    .number({ error: expecting('expected the rating of the P2 circuit in W') })
    .positive({ error: 'must be > 0' })
    .max(100_000, { error: 'must be at most 100000' })
    .optional()
    .describe('the rating of the P2 circuit, W'),
  min_on_off_s: intBetween(0, 86_400).optional().describe('the least time between two switchings of a relay, s'),
});

export type StationFields = z.output<typeof stationFields>;

function isOwnSwitch(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === OWN_SWITCH;
}

/** The fields that name other device entries (the `"station"` keyword names none). */
export function stationMemberReferences(fields: StationFields): MemberReference[] {
  const refs: MemberReference[] = [{ field: 'station', name: fields.station }];
  if (!isOwnSwitch(fields.p1)) refs.push({ field: 'p1', name: fields.p1 });
  if (fields.p2 !== undefined) refs.push({ field: 'p2', name: fields.p2 });
  if (fields.p3 !== undefined && !isOwnSwitch(fields.p3)) refs.push({ field: 'p3', name: fields.p3 });
  if (fields.p4 !== undefined) refs.push({ field: 'p4', name: fields.p4 });
  return refs;
}

/** P1 and P3: the relays (or the station's own switches) that move the transfer switch. */
export function stationSwitchedRelays(fields: StationFields): SwitchedRelay[] {
  const minOnOffMs = fields.min_on_off_s === undefined ? DEFAULT_MIN_ON_OFF_MS : fields.min_on_off_s * 1000;
  const at = (position: 'P1' | 'P3', value: string | undefined, ch: number | undefined, own: number): SwitchedRelay =>
    value === undefined || isOwnSwitch(value)
      ? { field: 'station', position, channel: own, minOnOffMs }
      : { field: position.toLowerCase(), position, channel: ch ?? 0, minOnOffMs };
  return [
    at('P1', fields.p1, fields.p1_channel, STATION_GRID_CHARGE_CHANNEL),
    at('P3', fields.p3, fields.p3_channel, STATION_AC_OUTPUT_CHANNEL),
  ];
}

export const stationDriver = defineDriver<StationFields>({
  name: 'station',
  title: 'Power station kit: a station, relays at P1–P3 and a PV sensor at P4, as one battery',
  fields: stationFields,
  // One poll reads every member once (a few BLE round trips for the station): as polite as the Bluetti's own.
  pollIntervals: () => ({ defaultMs: 10_000, minMs: 5000 }),
  memberReferences: stationMemberReferences,
  switchedRelays: stationSwitchedRelays,
  exampleCommand: 'restore_normal',
  create: (id, fields, { clock, members }) => {
    const member = (field: string): Device => {
      const device = members?.get(field);
      if (device === undefined) {
        throw new Error(
          `${field}: the station is built from other configured devices; configure it in the add-on options ` +
            '(sps read station --config FILE reads it with its members)',
        );
      }
      return device;
    };
    const switchAt = (field: 'p1' | 'p3', value: string | undefined, ch: number | undefined): SwitchPositionSpec =>
      value === undefined || isOwnSwitch(value) ? OWN_SWITCH : { device: member(field), channel: ch ?? 0 };
    const meterAt = (field: 'p2' | 'p4', ch: number | undefined): MeterPositionSpec =>
      ch === undefined ? member(field) : { device: member(field), channel: ch };
    return createPowerStation({
      id,
      station: member('station'),
      p1: switchAt('p1', fields.p1, fields.p1_channel),
      p3: switchAt('p3', fields.p3, fields.p3_channel),
      ...(fields.p2 === undefined ? {} : { p2: meterAt('p2', fields.p2_channel) }),
      ...(fields.p4 === undefined ? {} : { p4: meterAt('p4', undefined) }),
      chargePowerW: fields.charge_power_w,
      ...(fields.p2_load_cap_w === undefined ? {} : { p2LoadCapW: fields.p2_load_cap_w }),
      minOnOffMs: fields.min_on_off_s === undefined ? DEFAULT_MIN_ON_OFF_MS : fields.min_on_off_s * 1000,
      clock,
    });
  },
});
