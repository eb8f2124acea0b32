import type { Server } from 'node:net';

/** Where a simulator listens; loopback and a free port unless told otherwise. */
export interface ListenAddress {
  readonly host?: string;
  readonly port?: number;
}

/**
 * Starts `server` (a net or http server) listening and resolves to the bound port; a failure to
 * bind (port in use, bad host) rejects instead of surfacing later as an 'error' event. The one
 * place every loopback simulator and tunnel binds, so they agree on the defaults.
 */
export function listenOn(server: Server, address: ListenAddress = {}): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port ?? 0, address.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : 0);
    });
  });
}
