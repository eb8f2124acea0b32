import { z } from 'zod';

/**
 * Where HA is: inside the Supervisor the add-on talks to `ws://supervisor/core/websocket`
 * with SUPERVISOR_TOKEN (needs `homeassistant_api: true` in config.yaml; see
 * shared/reference/ha-integration-anchors.md §2.2); outside it to a configured URL with a
 * long-lived access token (also how the e2e tests point the add-on at a test HA).
 */
export const SUPERVISOR_WS_URL = 'ws://supervisor/core/websocket';

export interface HaTarget {
  readonly url: string;
  readonly token: string;
  readonly viaSupervisor: boolean;
}

const Standalone = z.object({
  url: z
    .string({ error: 'ha.url is required when SUPERVISOR_TOKEN is not set' })
    .regex(/^(https?|wss?):\/\/[^\s]+$/, 'ha.url must be an http(s) or ws(s) URL'),
  token: z.string({ error: 'ha.token is required when SUPERVISOR_TOKEN is not set' }).min(10, 'ha.token is too short'),
});

/** Turns `http://host:8123` (or an explicit ws URL) into HA's websocket endpoint. */
export function websocketUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  if (/^wss?:\/\//.test(trimmed)) return trimmed.endsWith('/websocket') ? trimmed : `${trimmed}/api/websocket`;
  return `${trimmed.replace(/^http/, 'ws')}/api/websocket`;
}

export function resolveHaTarget(
  env: Readonly<Record<string, string | undefined>>,
  configured: { url?: string | undefined; token?: string | undefined } = {},
): HaTarget {
  const supervisorToken = env['SUPERVISOR_TOKEN'];
  if (supervisorToken && !configured.url) {
    return { url: SUPERVISOR_WS_URL, token: supervisorToken, viaSupervisor: true };
  }
  const parsed = Standalone.safeParse({ url: configured.url, token: configured.token });
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  }
  return { url: websocketUrl(parsed.data.url), token: parsed.data.token, viaSupervisor: false };
}
