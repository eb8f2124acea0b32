import { SocketcandServer, VirtualCanBus } from '@sps/can';
import type { Clock } from '@sps/core';
import { PylontechSimulator, type PylontechSimulatorOptions } from './simulator.js';

export interface PylontechLoopbackOptions extends Omit<PylontechSimulatorOptions, 'bus'> {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** The bus name socketcand offers (default can0). */
  readonly interface?: string;
  readonly clock?: Clock;
}

export interface PylontechLoopback {
  readonly simulator: PylontechSimulator;
  readonly bus: VirtualCanBus;
  readonly server: SocketcandServer;
  readonly host: string;
  readonly port: number;
  readonly interface: string;
  /** A pylontech device's connection block that reaches this simulator. */
  readonly connection: { transport: 'socketcand'; host: string; port: number; interface: string };
  stop(): Promise<void>;
}

/**
 * A simulated Pylontech on a virtual CAN bus behind a socketcand gateway on loopback: what
 * `sps simulate pylontech`, the demo and the tests start. The production adapter reaches it with a
 * `socketcand` connection, so everything between the frames and the readings is the real code.
 */
export async function startPylontechSimulator(options: PylontechLoopbackOptions = {}): Promise<PylontechLoopback> {
  const host = options.host ?? '127.0.0.1';
  const iface = options.interface ?? 'can0';
  const bus = new VirtualCanBus(options.clock === undefined ? {} : { clock: options.clock });
  const simulator = new PylontechSimulator({ ...options, bus });
  const server = new SocketcandServer({
    bus,
    interfaces: [iface],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const port = await server.start(options.port ?? 0, host);
  try {
    await simulator.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    simulator,
    bus,
    server,
    host,
    port,
    interface: iface,
    connection: { transport: 'socketcand', host, port, interface: iface },
    async stop() {
      await simulator.stop();
      await server.stop();
    },
  };
}
