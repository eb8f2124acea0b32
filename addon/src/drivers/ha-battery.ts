import { HaBatteryAdapter, haBatteryCommands, type HaBatteryOptions } from '@sps/device-ha-entities';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { numberBetween, oneOf } from '../zod-fields.js';
import {
  NUMBER_DOMAINS,
  SELECT_DOMAINS,
  SENSOR_DOMAINS,
  SWITCH_DOMAINS,
  entityOf,
  optionValue,
} from './ha-entity-fields.js';

const sensor = (example: string) => entityOf(SENSOR_DOMAINS, example);
const numberEntity = (example: string) => entityOf(NUMBER_DOMAINS, example);
const script = (example: string) => entityOf(['script'], example);

/**
 * The fields of an ha-battery entry: the HA entities that read and control a battery another
 * integration already brings into HA (DOCS.md "Any battery Home Assistant already controls").
 */
export const haBatteryFields = z
  .strictObject({
    soc_entity: sensor('sensor.battery_state_of_capacity').describe("the battery's state of charge, %"),
    power_entity: sensor('sensor.battery_charge_discharge_power').optional().describe('battery power, W or kW'),
    power_sign: oneOf(['positive_discharge', 'positive_charge'])
      .default('positive_discharge')
      .describe('what a positive power_entity means'),
    pv_power_entity: sensor('sensor.inverter_input_power').optional().describe('PV power, W or kW'),
    grid_power_entity: sensor('sensor.power_meter_active_power').optional().describe('grid power, W or kW'),
    grid_sign: oneOf(['positive_import', 'positive_export'])
      .default('positive_import')
      .describe('what a positive grid_power_entity means'),
    load_power_entity: sensor('sensor.house_consumption').optional().describe('house load, W or kW'),
    mode_entity: entityOf([...SELECT_DOMAINS, ...SWITCH_DOMAINS], 'select.battery_working_mode')
      .optional()
      .describe('the select (or switch) that sets the battery mode'),
    mode_self_consumption: optionValue.optional().describe("mode_entity's option for self-consumption"),
    mode_force_charge: optionValue.optional().describe("mode_entity's option for forced charging"),
    mode_force_discharge: optionValue.optional().describe("mode_entity's option for forced discharging"),
    charge_power_entity: numberEntity('number.battery_maximum_charging_power')
      .optional()
      .describe('the number for the charge power, W or kW'),
    discharge_power_entity: numberEntity('number.battery_maximum_discharging_power')
      .optional()
      .describe('the number for the discharge power, W or kW'),
    backup_reserve_entity: numberEntity('number.battery_end_of_discharge_soc')
      .optional()
      .describe('the number for the backup reserve, %'),
    force_charge_script: script('script.battery_force_charge')
      .optional()
      .describe('a script that starts a forced charge (gets power_w)'),
    force_discharge_script: script('script.battery_force_discharge')
      .optional()
      .describe('a script that starts a forced discharge (gets power_w)'),
    restore_script: script('script.battery_restore').optional().describe('a script that hands the battery back'),
    capacity_kwh: numberBetween(0.1, 10_000).optional().describe('usable capacity, kWh'),
    max_charge_w: numberBetween(1, 1_000_000).optional().describe('the highest charge power, W'),
    max_discharge_w: numberBetween(1, 1_000_000).optional().describe('the highest discharge power, W'),
  })
  .superRefine((f, ctx) => {
    const mode = f.mode_entity;
    const modeFields = ['mode_self_consumption', 'mode_force_charge', 'mode_force_discharge'] as const;
    for (const field of modeFields) {
      const value = f[field];
      if (value === undefined) continue;
      if (mode === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'needs mode_entity (the entity this option is of)' });
      } else if (/^(switch|input_boolean)\./.test(mode) && value !== 'on' && value !== 'off') {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `expected on or off (mode_entity ${mode} is a switch)`,
        });
      }
    }
    if (mode !== undefined && modeFields.every((field) => f[field] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mode_entity'],
        message: 'name at least one of its options: mode_self_consumption, mode_force_charge, mode_force_discharge',
      });
    }
    const forces =
      f.force_charge_script !== undefined ||
      f.force_discharge_script !== undefined ||
      f.mode_force_charge !== undefined ||
      f.mode_force_discharge !== undefined;
    const restores = f.restore_script !== undefined || f.mode_self_consumption !== undefined;
    // A force with no way back would leave the battery forced for good: refuse the mapping.
    if (forces && !restores) {
      ctx.addIssue({
        code: 'custom',
        path: [f.mode_entity !== undefined ? 'mode_self_consumption' : 'restore_script'],
        message: 'is required to hand the battery back after a forced charge or discharge',
      });
    }
  });

type HaBatteryFields = z.output<typeof haBatteryFields>;

export const haBatteryDriver = defineDriver<HaBatteryFields>({
  name: 'ha-battery',
  title: "Any battery Home Assistant already controls (its entities, over the add-on's HA connection)",
  fields: haBatteryFields,
  readsHomeAssistant: true,
  // HA pushes every change to the device at once; the poll only re-checks the entities.
  pollIntervals: () => ({ defaultMs: 10_000, minMs: 1000 }),
  create: (id, fields, { clock, ha }) =>
    new HaBatteryAdapter({ id, options: fields satisfies HaBatteryOptions, ha, clock }),
  exampleFields: {
    soc_entity: 'sensor.battery_state_of_capacity',
    power_entity: 'sensor.battery_charge_discharge_power',
    power_sign: 'positive_charge',
  },
  notes: (fields) => {
    const commands = haBatteryCommands(fields);
    return [
      'Reads and writes through Home Assistant: sps read/write and sps run need --ha-url and a token (--ha-token-file or env SPS_HA_TOKEN); inside the add-on nothing.',
      commands.length > 0 ? `Commands this mapping allows: ${commands.join(', ')}.` : 'This mapping only reads.',
    ];
  },
});
