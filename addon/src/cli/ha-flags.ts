import { resolveHaTarget, type HaTarget } from '@sps/ha';
import { CliError, EXIT_BAD_INPUT, stringFlag } from './command.js';
import { envSecret, readSecretFile } from './secret-flags.js';

/** The flags `sps run` and `sps demo` share for reaching Home Assistant. */
export const HA_FLAGS = {
  'ha-url': { type: 'string' },
  'ha-token-file': { type: 'string' },
  'ha-token': { type: 'string' },
} as const;

export const HA_USAGE = '[--ha-url ws://host:8123/api/websocket --ha-token-file FILE (or env SPS_HA_TOKEN)]';

/**
 * Which HA to connect to: an explicit URL (flag, else env HA_URL) with its long-lived token
 * (--ha-token-file, else env SPS_HA_TOKEN or HA_TOKEN, else --ha-token, which `ps` shows and so
 * earns a warning); otherwise the Supervisor's proxy when SUPERVISOR_TOKEN is set; otherwise none
 * (the add-on runs without HA). Not part of the options schema on purpose: under the Supervisor
 * nothing needs configuring.
 */
export function haTargetFromFlags(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void = () => undefined,
): HaTarget | undefined {
  const url = stringFlag(values, 'ha-url') ?? nonEmpty(env['HA_URL']);
  const token = haToken(values, env, warn);
  if (url === undefined && token === undefined) {
    return env['SUPERVISOR_TOKEN'] ? resolveHaTarget(env) : undefined;
  }
  if (url === undefined) {
    throw new CliError('--ha-url: required with an HA token (or set HA_URL)', EXIT_BAD_INPUT);
  }
  if (token === undefined) {
    throw new CliError('--ha-token-file: required with --ha-url (or set SPS_HA_TOKEN)', EXIT_BAD_INPUT);
  }
  try {
    return resolveHaTarget({}, { url, token });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(message.replace(/^ha\.(url|token)/, '--ha-$1'), EXIT_BAD_INPUT);
  }
}

function haToken(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void,
): string | undefined {
  const file = stringFlag(values, 'ha-token-file');
  const inline = stringFlag(values, 'ha-token');
  if (file !== undefined && inline !== undefined) {
    throw new CliError('--ha-token-file: give either --ha-token-file or --ha-token, not both', EXIT_BAD_INPUT);
  }
  if (file !== undefined) return readSecretFile('ha-token-file', file, warn);
  if (inline !== undefined) {
    warn(
      'warning: --ha-token is visible to every user of this machine (ps); use --ha-token-file FILE or the SPS_HA_TOKEN environment variable',
    );
    return nonEmpty(inline);
  }
  return envSecret(env, 'SPS_HA_TOKEN') ?? envSecret(env, 'HA_TOKEN');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
