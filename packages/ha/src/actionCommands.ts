import { Command, isoUtc, type DeviceLimits, type EntityDescriptor } from '@sps/core';
import { z } from 'zod';
import type { EntityAction, ServiceAction } from './protocol.js';

/**
 * Turns HA-side actions into typed core commands. The bridge already validated service
 * fields with voluptuous; they are validated again here with zod, because the add-on trusts
 * no input (DESIGN.md), and every error names the field.
 */

const deviceMinutes = z.number().int().min(1).max(1440);
const kw = z.number().finite().min(0).max(1000);

export const ServiceData = {
  force_charge: z.object({ duration_minutes: deviceMinutes, power_kw: kw.optional() }),
  force_discharge: z.object({ duration_minutes: deviceMinutes, power_kw: kw.optional() }),
  restore_normal: z.object({}),
  set_backup_reserve: z.object({ percent: z.number().finite().min(0).max(100) }),
  set_charge_rate: z.object({ kw }),
  set_discharge_rate: z.object({ kw }),
  set_export_limit: z.object({ watts: z.number().int().min(0).max(1_000_000) }),
  sync_now: z.object({}),
} as const;
export type ServiceName = keyof typeof ServiceData;

export type ServiceOutcome = { kind: 'command'; command: Command } | { kind: 'sync' };

export class ActionInputError extends Error {
  override name = 'ActionInputError';
}

function fieldErrors(prefix: string, error: z.ZodError): string {
  return error.issues.map((i) => `${prefix}.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function parseCommand(candidate: unknown, where: string): Command {
  const parsed = Command.safeParse(candidate);
  if (!parsed.success) throw new ActionInputError(fieldErrors(where, parsed.error));
  return parsed.data;
}

/** A smart_power_station.* service call → command (or a sync request). `now` fixes `until`. */
export function serviceToCommand(action: ServiceAction, now: number, limits: DeviceLimits = {}): ServiceOutcome {
  if (!Object.hasOwn(ServiceData, action.service)) {
    throw new ActionInputError(`service: unknown service ${action.service}`);
  }
  const service = action.service as ServiceName;
  const parsed = ServiceData[service].safeParse(action.data);
  if (!parsed.success) throw new ActionInputError(fieldErrors(service, parsed.error));
  const data = parsed.data as Record<string, number | undefined>;
  const where = `${service}`;
  switch (service) {
    case 'force_charge':
    case 'force_discharge': {
      const max = service === 'force_charge' ? limits.maxChargeW : limits.maxDischargeW;
      const powerW = data['power_kw'] !== undefined ? data['power_kw'] * 1000 : max;
      if (powerW === undefined) {
        throw new ActionInputError(`${service}.power_kw: required because the device's maximum power is unknown`);
      }
      const until = isoUtc(now + (data['duration_minutes'] ?? 0) * 60_000);
      return { kind: 'command', command: parseCommand({ type: service, power_w: powerW, until }, where) };
    }
    case 'restore_normal':
      return { kind: 'command', command: parseCommand({ type: 'restore_normal' }, where) };
    case 'set_backup_reserve':
      return {
        kind: 'command',
        command: parseCommand({ type: 'set_backup_reserve', percent: data['percent'] }, where),
      };
    case 'set_charge_rate':
      return {
        kind: 'command',
        command: parseCommand({ type: 'set_charge_limit', power_w: (data['kw'] ?? 0) * 1000 }, where),
      };
    case 'set_discharge_rate':
      return {
        kind: 'command',
        command: parseCommand({ type: 'set_discharge_limit', power_w: (data['kw'] ?? 0) * 1000 }, where),
      };
    case 'set_export_limit':
      return { kind: 'command', command: parseCommand({ type: 'set_export_limit', power_w: data['watts'] }, where) };
    case 'sync_now':
      return { kind: 'sync' };
  }
}

/** A switch/number/select/button action → the command its descriptor's binding names. */
export function entityActionToCommand(action: EntityAction, descriptor: EntityDescriptor): Command {
  const binding = descriptor.command;
  if (!binding) throw new ActionInputError(`${descriptor.key}: this entity has no command binding`);
  const candidate: Record<string, unknown> = { type: binding.command, ...binding.fixed };
  if (binding.field !== undefined) {
    if (action.value === undefined) throw new ActionInputError(`${descriptor.key}.value: required`);
    candidate[binding.field] = action.value;
  }
  return parseCommand(candidate, descriptor.key);
}
