import { z } from 'zod';
import { DeviceError } from './errors.js';

/**
 * Typed commands. Every path that changes a device (HA, web panel, CLI, controller)
 * produces one of these; the safety guard checks it against the device's limits
 * before an adapter ever sees it.
 */

const isoUtc = z.iso.datetime({ offset: false }).describe('UTC ISO 8601 timestamp ending in Z');
const watts = z.number().finite().nonnegative().max(1_000_000);

export const ForceChargeCommand = z.strictObject({
  type: z.literal('force_charge'),
  power_w: watts,
  until: isoUtc.optional(),
});
export const ForceDischargeCommand = z.strictObject({
  type: z.literal('force_discharge'),
  power_w: watts,
  until: isoUtc.optional(),
});
export const RestoreNormalCommand = z.strictObject({ type: z.literal('restore_normal') });
export const SetBackupReserveCommand = z.strictObject({
  type: z.literal('set_backup_reserve'),
  percent: z.number().finite().min(0).max(100),
});
export const SetChargeLimitCommand = z.strictObject({ type: z.literal('set_charge_limit'), power_w: watts });
export const SetDischargeLimitCommand = z.strictObject({ type: z.literal('set_discharge_limit'), power_w: watts });
export const SetExportLimitCommand = z.strictObject({ type: z.literal('set_export_limit'), power_w: watts });
export const SetRelayCommand = z.strictObject({
  type: z.literal('set_relay'),
  on: z.boolean(),
  /** Channel of a multi-channel relay; 0 when omitted. */
  channel: z.number().int().min(0).max(63).optional(),
});
export const SetOperatingModeCommand = z.strictObject({
  type: z.literal('set_operating_mode'),
  mode: z.string().min(1).max(64),
});

/**
 * A driver's own command, for what the types above do not name (a Studer's AC input current limit
 * in amps): `name` says which, the other fields are its arguments. The shape here is only the
 * envelope (scalars); the driver's zod schema (the add-on's DriverDefinition.commands, the adapter)
 * checks the name and the arguments. It is a Command like the others, so it takes the same path:
 * the SafetyGuard, the write budget, identical-command suppression, the write ledger.
 */
export const DeviceCommand = z
  .strictObject({
    type: z.literal('device_command'),
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a command name (lower case letters, digits and _)'),
  })
  .catchall(z.union([z.number().finite(), z.boolean(), z.string().max(256)]));
export type DeviceCommand = z.infer<typeof DeviceCommand>;

export const Command = z.discriminatedUnion('type', [
  ForceChargeCommand,
  ForceDischargeCommand,
  RestoreNormalCommand,
  SetBackupReserveCommand,
  SetChargeLimitCommand,
  SetDischargeLimitCommand,
  SetExportLimitCommand,
  SetRelayCommand,
  SetOperatingModeCommand,
  DeviceCommand,
]);

export type Command = z.infer<typeof Command>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export const COMMAND_TYPES: readonly CommandType[] = Command.options.map((o) => o.shape.type.value);

/** What the device did with a command. Failures are thrown as `DeviceError`, never returned as success. */
export interface CommandOutcome {
  readonly command: Command;
  /** What was actually applied, after clamping to the device's resolution (e.g. 10 W steps). */
  readonly applied: Readonly<Record<string, number | string | boolean>>;
  /** Number of register/API writes this cost; 0 when the device was already in that state. */
  readonly writes: number;
}

/** An adapter's first step in `execute()`: untrusted input becomes a Command, or a `rejected` DeviceError naming the field. */
export function parseDeviceCommand(input: unknown): Command {
  const parsed = Command.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new DeviceError('rejected', `${issue?.path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`);
}
