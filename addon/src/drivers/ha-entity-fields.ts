import { z } from 'zod';
import { expecting } from '../zod-fields.js';

/**
 * Option fields that name Home Assistant entities (drivers ha-battery and ha-ev-charger): an
 * entity id of one of the domains that can do the job, so a mapping that could never work (a
 * sensor where a number must be written) is refused at start with the field named.
 */
export function entityOf(domains: readonly [string, ...string[]], example: string): z.ZodString {
  const message = `expected an entity id of ${domains.map((d) => `${d}.…`).join(', ')} (e.g. ${example})`;
  const pattern = new RegExp(`^(?:${domains.join('|')})\\.[a-z0-9_]+$`);
  return z
    .string({ error: expecting(message) })
    .trim()
    .regex(pattern, { error: message });
}

/** Readings: sensors, and helpers or numbers people use as sensors. */
export const SENSOR_DOMAINS = ['sensor', 'number', 'input_number'] as const;
export const NUMBER_DOMAINS = ['number', 'input_number'] as const;
export const SWITCH_DOMAINS = ['switch', 'input_boolean'] as const;
export const SELECT_DOMAINS = ['select', 'input_select'] as const;

/** A select option or switch state as typed in the options (any text HA may use). */
export const optionValue = z
  .string({ error: expecting('expected the option text as Home Assistant shows it') })
  .trim()
  .min(1, { error: 'expected the option text as Home Assistant shows it' })
  .max(255, { error: 'expected at most 255 characters' });
