import { DEFAULT_PLUGGED_STATES, HaEvChargerAdapter } from '@sps/device-ha-entities';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, intBetween, numberBetween } from '../zod-fields.js';
import { NUMBER_DOMAINS, SENSOR_DOMAINS, SWITCH_DOMAINS, entityOf } from './ha-entity-fields.js';

const hhmm = z
  .string({ error: expecting('expected a time of day as HH:MM, e.g. 07:30') })
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day as HH:MM, e.g. 07:30' });

/** `"Charging, SuspendedEV"` → lower-case states; the flat options allow no lists. */
const stateList = z
  .string({ error: expecting('expected states separated by commas, e.g. "Charging, SuspendedEV"') })
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  )
  .refine((list) => list.length > 0, { error: 'expected at least one state, e.g. "Charging, SuspendedEV"' });

/** Single- or three-phase; the CLI and YAML may give it as text. */
const phases = z.union(
  [z.literal(1), z.literal(3), z.literal('1').transform(() => 1 as const), z.literal('3').transform(() => 3 as const)],
  {
    error: expecting('expected 1 or 3'),
  },
);

/**
 * The fields of an ha-ev-charger entry: the HA entities of a charger (and car) that another
 * integration already brings into HA, and what the plan needs to know about the car.
 */
export const haEvChargerFields = z
  .strictObject({
    switch_entity: entityOf(SWITCH_DOMAINS, 'switch.wallbox_pause_resume').describe('starts and stops charging'),
    current_entity: entityOf(NUMBER_DOMAINS, 'number.wallbox_maximum_charging_current').describe(
      'the charging current, A',
    ),
    car_soc_entity: entityOf(SENSOR_DOMAINS, 'sensor.my_car_battery_level').optional().describe("the car's SOC, %"),
    plug_entity: entityOf(['binary_sensor', 'sensor', 'input_boolean'], 'binary_sensor.my_car_charge_cable')
      .optional()
      .describe('whether the car is plugged in'),
    plugged_states: stateList.optional().describe('for a sensor plug_entity: its states that mean plugged in'),
    charger_power_entity: entityOf(SENSOR_DOMAINS, 'sensor.wallbox_charging_power')
      .optional()
      .describe('the measured charging power, W or kW'),
    departure_time: hhmm.optional().describe('when the car must be ready, HH:MM local time'),
    target_soc_pct: numberBetween(1, 100).default(80).describe('the SOC to reach by the departure time, %'),
    phases: phases.default(1).describe('1 or 3 phases'),
    voltage: numberBetween(100, 480).default(230).describe('the voltage of one phase, V'),
    min_current_a: intBetween(1, 80).default(6).describe('the lowest current the charger runs at, A'),
    max_current_a: intBetween(1, 80).default(16).describe('the highest current to set, A'),
    battery_kwh: numberBetween(1, 500).optional().describe("the car battery's usable capacity, kWh"),
  })
  .superRefine((f, ctx) => {
    if (f.min_current_a > f.max_current_a) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_current_a'],
        message: `${f.min_current_a} A is above max_current_a (${f.max_current_a} A)`,
      });
    }
    if (f.plugged_states !== undefined && !f.plug_entity?.startsWith('sensor.')) {
      ctx.addIssue({ code: 'custom', path: ['plugged_states'], message: 'applies only to a sensor.… plug_entity' });
    }
  });

type HaEvChargerFields = z.output<typeof haEvChargerFields>;

export const haEvChargerDriver = defineDriver<HaEvChargerFields>({
  name: 'ha-ev-charger',
  title: "An EV charger Home Assistant already controls (its entities, over the add-on's HA connection)",
  fields: haEvChargerFields,
  readsHomeAssistant: true,
  pollIntervals: () => ({ defaultMs: 10_000, minMs: 1000 }),
  create: (id, fields, { clock, ha }) =>
    new HaEvChargerAdapter({
      id,
      options: { ...fields, plugged_states: fields.plugged_states ?? DEFAULT_PLUGGED_STATES },
      ha,
      clock,
    }),
  exampleFields: {
    switch_entity: 'switch.wallbox_pause_resume',
    current_entity: 'number.wallbox_maximum_charging_current',
  },
  exampleCommand: 'set_relay --on true',
  notes: () => [
    'Reads and writes through Home Assistant: sps read/write and sps run need --ha-url and a token (--ha-token-file or env SPS_HA_TOKEN); inside the add-on nothing.',
  ],
});
