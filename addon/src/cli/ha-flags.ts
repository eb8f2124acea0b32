import { resolveHaTarget, type HaTarget } from '@sps/ha';
import { CliError, EXIT_BAD_INPUT, stringFlag } from './command.js';

/** The flags `sps run` and `sps demo` share for reaching Home Assistant. */
export const HA_FLAGS = {
  'ha-url': { type: 'string' },
  'ha-token': { type: 'string' },
} as const;

export const HA_USAGE = '[--ha-url ws://host:8123/api/websocket --ha-token TOKEN]';

/**
 * Which HA to connect to: an explicit URL (flag, else env HA_URL) with its long-lived token
 * (flag, else env HA_TOKEN); otherwise the Supervisor's proxy when SUPERVISOR_TOKEN is set;
 * otherwise none (the add-on runs without HA). Not part of the options schema on purpose:
 * under the Supervisor nothing needs configuring.
 */
export function haTargetFromFlags(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): HaTarget | undefined {
  const url = stringFlag(values, 'ha-url') ?? nonEmpty(env['HA_URL']);
  const token = stringFlag(values, 'ha-token') ?? nonEmpty(env['HA_TOKEN']);
  if (url === undefined && token === undefined) {
    return env['SUPERVISOR_TOKEN'] ? resolveHaTarget(env) : undefined;
  }
  if (url === undefined) throw new CliError('--ha-url: required with --ha-token (or set HA_URL)', EXIT_BAD_INPUT);
  if (token === undefined) throw new CliError('--ha-token: required with --ha-url (or set HA_TOKEN)', EXIT_BAD_INPUT);
  try {
    return resolveHaTarget({}, { url, token });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(message.replace(/^ha\.(url|token)/, '--ha-$1'), EXIT_BAD_INPUT);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
