import { minuteOfDay, type DeferrableLoad } from '@sps/control';
import { z } from 'zod';
import { expecting, formatPath, intBetween, nonEmptyText, numberBetween } from '../zod-fields.js';

const hhmm = z
  .string({ error: expecting('expected a time of day as HH:MM, e.g. 22:00') })
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day as HH:MM, e.g. 22:00' });

/**
 * One entry of the top-level `deferrable_loads` option: a flat dict, because HA's schema language
 * allows a list of dicts only at the top level (config.yaml mirrors it), not under `optimizer`.
 */
export const deferrableLoadSchema = z.strictObject(
  {
    name: nonEmptyText(64),
    /** The relay's device entry (its name): shelly, kasa, or an HA switch driver. */
    device: nonEmptyText(64),
    channel: intBetween(0, 63).optional(),
    power_w: numberBetween(1, 50_000),
    run_minutes: intBetween(1, 1440),
    earliest: hhmm.optional(),
    latest: hhmm.optional(),
    min_on_minutes: intBetween(0, 1440).optional(),
    min_off_minutes: intBetween(0, 1440).optional(),
  },
  { error: expecting('expected a mapping of deferrable load fields') },
);
export type DeferrableLoadOptions = z.output<typeof deferrableLoadSchema>;

/** A deferrable load as the add-on runs it: the model, and the relay it is on. */
export interface DeferrableLoadSettings {
  readonly load: DeferrableLoad;
  /** Device id (slug) of the relay. */
  readonly deviceId: string;
  readonly channel: number;
}

export class DeferrableLoadOptionError extends Error {
  override readonly name = 'DeferrableLoadOptionError';
}

/**
 * Checks what a list item cannot check alone: unique names, a configured device, and a run time that
 * fits its window. Defaults: the whole day (00:00–00:00), channel 0, no minimum on/off time.
 */
export function toDeferrableLoads(
  list: readonly DeferrableLoadOptions[],
  /** Ids of the devices that may carry a load (not members of a composite). */
  deviceIds: ReadonlySet<string>,
  slug: (name: string) => string,
): DeferrableLoadSettings[] {
  const names = new Map<string, number>();
  return list.map((entry, index) => {
    const at = (field: string): string => formatPath(['deferrable_loads', index, field]);
    const clash = names.get(entry.name.trim());
    if (clash !== undefined)
      throw new DeferrableLoadOptionError(`${at('name')}: "${entry.name}" is also deferrable_loads[${clash}]`);
    names.set(entry.name.trim(), index);
    const deviceId = slug(entry.device);
    if (!deviceIds.has(deviceId)) {
      throw new DeferrableLoadOptionError(
        `${at('device')}: no configured relay device is named "${entry.device}" (a member of a power station's kit cannot carry a load)`,
      );
    }
    const earliest = minuteOfDay(entry.earliest ?? '00:00') ?? 0;
    const latest = minuteOfDay(entry.latest ?? '00:00') ?? 0;
    const windowMinutes = latest > earliest ? latest - earliest : 1440 - earliest + latest;
    if (entry.run_minutes > windowMinutes) {
      throw new DeferrableLoadOptionError(
        `${at('run_minutes')}: ${entry.run_minutes} min do not fit the window ${entry.earliest ?? '00:00'}–${entry.latest ?? '00:00'} (${windowMinutes} min)`,
      );
    }
    return {
      deviceId,
      channel: entry.channel ?? 0,
      load: {
        name: entry.name.trim(),
        powerW: entry.power_w,
        runMinutesPerDay: entry.run_minutes,
        earliestMinute: earliest,
        latestMinute: latest,
        minOnMinutes: entry.min_on_minutes ?? 0,
        minOffMinutes: entry.min_off_minutes ?? 0,
      },
    };
  });
}
