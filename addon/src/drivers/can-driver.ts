import type { Clock } from '@sps/core';
import type { SimulatorHandle } from '../driver-types.js';

/** A CAN device simulator running behind a socketcand server on loopback (what `start…Simulator` resolves to). */
export interface RunningCanSimulator {
  readonly port: number;
  readonly simulator: { readonly state: unknown };
  stop(): Promise<void>;
}

/**
 * `createSimulator` for a CAN driver: the vendor's `start` brings its simulator up at host:port
 * (port 0 = a free one); stop and snapshot are the same for every CAN driver.
 */
export function canSimulator(
  start: (at: { host: string; port: number; clock?: Clock }) => Promise<RunningCanSimulator>,
): (options: { clock?: Clock }) => SimulatorHandle {
  return ({ clock }) => {
    let running: RunningCanSimulator | undefined;
    return {
      start: async ({ host, port }) => {
        running = await start({ host, port, ...(clock === undefined ? {} : { clock }) });
        return running.port;
      },
      stop: async () => {
        await running?.stop();
        running = undefined;
      },
      snapshot: () => running?.simulator.state,
    };
  };
}

/** The CAN connection a driver's simulator is reached at: a socketcand gateway on can0. */
export function socketcandAt({ host, port }: { host: string; port: number }): {
  transport: 'socketcand';
  host: string;
  port: number;
  interface: string;
} {
  return { transport: 'socketcand', host, port, interface: 'can0' };
}
