import { isLoopbackHost } from './access-guard.js';
import { resolveWriteToken, type WriteToken } from './write-token.js';

export interface HttpExposure {
  /** Bound beyond loopback outside the Supervisor: the network can reach the panel. */
  readonly beyondLoopback: boolean;
  /** What writes need; undefined: no token (loopback without one given, or under the Supervisor). */
  readonly writeToken: WriteToken | undefined;
}

/**
 * Who can reach the panel and what writes need. Under the Supervisor, ingress decides (no token).
 * Outside it, a token given is always required; bound beyond loopback, one is required anyway.
 */
export function planHttpExposure(input: {
  supervised: boolean;
  host: string;
  dataDir: string;
  givenToken?: string;
}): HttpExposure {
  if (input.supervised) return { beyondLoopback: false, writeToken: undefined };
  const beyondLoopback = !isLoopbackHost(input.host);
  if (!beyondLoopback && input.givenToken === undefined) return { beyondLoopback, writeToken: undefined };
  return {
    beyondLoopback,
    writeToken: resolveWriteToken({
      dataDir: input.dataDir,
      ...(input.givenToken === undefined ? {} : { given: input.givenToken }),
    }),
  };
}

/** The log's warning when the panel leaves the machine: loud, and saying what is exposed. */
export function beyondLoopbackWarning(host: string): string {
  return (
    `LISTENING BEYOND LOOPBACK on ${host}: every device on the network can see the panel and every reading; ` +
    'writes need the write token. Bind 127.0.0.1 (the default) unless you mean it.'
  );
}
