import { HaSwitchAdapter } from '@sps/device-ha-entities';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { SENSOR_DOMAINS, entityOf } from './ha-entity-fields.js';

/**
 * The fields of an ha-switch entry: a relay another integration already brings into HA (a Zigbee
 * plug, a light, a helper), so a deferrable load can be switched through it.
 */
export const haSwitchFields = z.strictObject({
  switch_entity: entityOf(['switch', 'input_boolean', 'light'], 'switch.water_heater_plug').describe(
    'the relay: switched on and off',
  ),
  power_entity: entityOf(SENSOR_DOMAINS, 'sensor.water_heater_plug_power')
    .optional()
    .describe("the load's measured power, W or kW"),
});

type HaSwitchFields = z.output<typeof haSwitchFields>;

export const haSwitchDriver = defineDriver<HaSwitchFields>({
  name: 'ha-switch',
  title: "A relay Home Assistant already controls: a switch, light or input_boolean (over the add-on's HA connection)",
  fields: haSwitchFields,
  readsHomeAssistant: true,
  pollIntervals: () => ({ defaultMs: 10_000, minMs: 1000 }),
  create: (id, fields, { clock, ha }) => new HaSwitchAdapter({ id, options: fields, ha, clock }),
  exampleFields: { switch_entity: 'switch.water_heater_plug' },
  exampleCommand: 'set_relay --on true',
  notes: () => [
    'Reads and writes through Home Assistant: sps read/write and sps run need --ha-url and a token (--ha-token-file or env SPS_HA_TOKEN); inside the add-on nothing.',
  ],
});
