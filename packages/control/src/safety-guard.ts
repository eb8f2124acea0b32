import {
  Command,
  CommandRejectedError,
  systemClock,
  type Clock,
  type CommandOf,
  type CommandOutcome,
  type DeviceCapabilities,
  type DeviceCommand,
} from '@sps/core';
import {
  DEFAULT_USER_SAFETY_LIMITS,
  effectiveLimits,
  type EffectiveLimits,
  type UserSafetyLimits,
} from './safety-limits.js';
import type { RelayHoldSpec } from './relay-hold.js';
import { WriteRateLimiter, type GuardedWrite, type WriteRateLimitOptions } from './write-rate-limiter.js';

/**
 * The furthest ahead an `until` (force_charge / force_discharge) may lie: a week, as for manual
 * overrides. Longer is far more likely a unit or date mistake than a wish to force a battery for a
 * month, and a forced mode that outlives the user's attention is what this guard is for.
 */
export const MAX_UNTIL_HORIZON_MS = 7 * 24 * 3_600_000;

/** What the guard knows about the device right now, beyond its fixed capabilities. */
export interface CommandContext {
  /** Latest state of charge, %, when known. */
  readonly batterySocPct?: number;
}

export interface SafetyGuardOptions {
  readonly limits?: UserSafetyLimits;
  readonly rateLimit?: WriteRateLimitOptions;
  readonly clock?: Clock;
}

type Mode = 'reject' | 'clamp';

/**
 * The one place safety limits live. Every command, from any path (web panel, CLI,
 * HA, the controller), passes `check` (reject what breaks a limit) or `clamp` (bring
 * it within the limits) and then the per-device write-rate limiter before an adapter
 * sees it.
 */
export class SafetyGuard {
  readonly limits: UserSafetyLimits;
  private readonly clock: Clock;
  private readonly rateLimiter: WriteRateLimiter;

  constructor(options: SafetyGuardOptions = {}) {
    this.limits = options.limits ?? DEFAULT_USER_SAFETY_LIMITS;
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = new WriteRateLimiter(options.rateLimit, this.clock);
  }

  limitsFor(capabilities: DeviceCapabilities): EffectiveLimits {
    return effectiveLimits(capabilities.limits, this.limits);
  }

  /** Returns the (validated) command unchanged, or throws CommandRejectedError naming the field and the limit. */
  check(command: unknown, capabilities: DeviceCapabilities, context: CommandContext = {}): Command {
    return this.apply('reject', command, capabilities, context);
  }

  /**
   * Returns the command brought within the limits (powers capped, reserve raised).
   * Throws CommandRejectedError for what cannot be clamped: an unsupported command,
   * an unknown mode, a discharge at or below the backup reserve, an `until` in the past.
   */
  clamp(command: unknown, capabilities: DeviceCapabilities, context: CommandContext = {}): Command {
    return this.apply('clamp', command, capabilities, context);
  }

  /**
   * The only way a checked command reaches a device: admits it against the write budget and the
   * relay holds, reserves its slot and starts `send`, all in one synchronous step (see
   * WriteRateLimiter.write). Rejects with WriteRateLimitedError or RelayHoldError; a failure of
   * `send` is passed through.
   */
  write(deviceId: string, command: Command, send: () => Promise<CommandOutcome>): Promise<GuardedWrite> {
    return this.rateLimiter.write(deviceId, command, send);
  }

  /** Keep a relay that switches a transfer switch from chattering, whoever writes to it. */
  holdRelay(spec: RelayHoldSpec): void {
    this.rateLimiter.holdRelay(spec);
  }

  /** Milliseconds until a held relay channel may change again (0 when it may now, or is not held). */
  relayWaitMs(deviceId: string, channel: number): number {
    return this.rateLimiter.relayHolds.waitMs(deviceId, channel);
  }

  /** Writes reserved for the device in the last minute. */
  writesInLastMinute(deviceId: string): number {
    return this.rateLimiter.writesInLastMinute(deviceId);
  }

  forgetLastWrite(deviceId: string): void {
    this.rateLimiter.forgetLast(deviceId);
  }

  private apply(mode: Mode, input: unknown, capabilities: DeviceCapabilities, context: CommandContext): Command {
    const command = parseCommand(input);
    if (!capabilities.commands.includes(command.type)) {
      const supported = capabilities.commands.length > 0 ? capabilities.commands.join(', ') : 'none';
      reject('type', `the device does not support "${command.type}" (supported: ${supported})`);
    }
    const limits = this.limitsFor(capabilities);
    switch (command.type) {
      case 'force_charge':
        this.checkUntil(command);
        return capPower(mode, command, limits.maxChargeW, 'the maximum charge power');
      case 'force_discharge':
        this.checkUntil(command);
        if (context.batterySocPct !== undefined && context.batterySocPct <= limits.backupReservePct) {
          reject(
            'type',
            `force_discharge refused: battery at ${context.batterySocPct} % is at or below the backup reserve of ${limits.backupReservePct} %`,
          );
        }
        return capPower(mode, command, limits.maxDischargeW, 'the maximum discharge power');
      case 'set_charge_limit':
        return capPower(mode, command, limits.maxChargeW, 'the maximum charge power');
      case 'set_discharge_limit':
        return capPower(mode, command, limits.maxDischargeW, 'the maximum discharge power');
      case 'set_export_limit':
        return capPower(mode, command, limits.maxExportW, 'the export limit');
      case 'set_backup_reserve':
        return capReserve(mode, command, limits);
      case 'set_operating_mode': {
        const modes = capabilities.operatingModes;
        if (modes && !modes.includes(command.mode)) {
          reject('mode', `unknown operating mode "${command.mode}" (known: ${modes.join(', ')})`);
        }
        return command;
      }
      case 'restore_normal':
      case 'set_relay':
        return command;
      case 'device_command':
        return checkDeviceCommand(mode, command, capabilities, limits);
    }
  }

  private checkUntil(command: CommandOf<'force_charge' | 'force_discharge'>): void {
    if (command.until === undefined) return;
    const now = this.clock.now();
    const at = Date.parse(command.until);
    if (at <= now) reject('until', `${command.until} is not in the future`);
    if (at - now > MAX_UNTIL_HORIZON_MS) {
      reject(
        'until',
        `${command.until} is more than ${MAX_UNTIL_HORIZON_MS / 86_400_000} days ahead ` +
          `(the furthest a forced mode may be timed is ${new Date(now + MAX_UNTIL_HORIZON_MS).toISOString()})`,
      );
    }
  }
}

function parseCommand(input: unknown): Command {
  const parsed = Command.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'type';
  return reject(field, issue?.message ?? 'not a valid command');
}

function reject(field: string, message: string): never {
  throw new CommandRejectedError(`${field}: ${message}`, field);
}

function capPower<C extends Command & { power_w: number }>(
  mode: Mode,
  command: C,
  maxW: number | undefined,
  what: string,
): C {
  if (maxW === undefined || command.power_w <= maxW) return command;
  if (mode === 'clamp') return { ...command, power_w: maxW };
  return reject('power_w', `${command.power_w} W exceeds ${what} of ${maxW} W`);
}

/**
 * A driver's own command: its name must be one the device declares (the driver's schema has checked
 * the arguments at the edge, the adapter checks them again with the device's own ranges). Of the
 * limits, the guard knows one here: a charge current, A × the bank's nominal voltage, may not exceed
 * the maximum charge power (the device's, tightened by the user's `max_charge_power_w`).
 */
function checkDeviceCommand(
  mode: Mode,
  command: DeviceCommand,
  capabilities: DeviceCapabilities,
  limits: EffectiveLimits,
): DeviceCommand {
  const specs = capabilities.deviceCommands ?? [];
  const spec = specs.find((s) => s.name === command.name);
  if (spec === undefined) {
    const known = specs.length > 0 ? specs.map((s) => s.name).join(', ') : 'none';
    return reject('name', `the device has no command "${command.name}" (its own commands: ${known})`);
  }
  const current = spec.chargeCurrent;
  if (current === undefined || limits.maxChargeW === undefined) return command;
  const amps = command[current.field];
  if (typeof amps !== 'number') return command;
  const maxAmps = Math.floor(limits.maxChargeW / current.nominalVoltageV);
  if (amps <= maxAmps) return command;
  if (mode === 'clamp') return { ...command, [current.field]: maxAmps };
  return reject(
    current.field,
    `${amps} A × ${current.nominalVoltageV} V = ${amps * current.nominalVoltageV} W exceeds the maximum charge ` +
      `power of ${limits.maxChargeW} W (at most ${maxAmps} A)`,
  );
}

function capReserve(
  mode: Mode,
  command: CommandOf<'set_backup_reserve'>,
  limits: EffectiveLimits,
): CommandOf<'set_backup_reserve'> {
  const { percent } = command;
  if (percent < limits.minBackupReservePct) {
    if (mode === 'clamp') return { ...command, percent: limits.minBackupReservePct };
    reject('percent', `${percent} % is below the lowest allowed backup reserve of ${limits.minBackupReservePct} %`);
  }
  if (percent > limits.maxBackupReservePct) {
    if (mode === 'clamp') return { ...command, percent: limits.maxBackupReservePct };
    reject('percent', `${percent} % is above the device's highest backup reserve of ${limits.maxBackupReservePct} %`);
  }
  return command;
}
