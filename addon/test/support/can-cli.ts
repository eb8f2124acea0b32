import { SpsProcess, runSps, unusedPort } from './addon-process';

/** What `sps simulate <can driver> --json` prints first. */
export interface CanSimulatorStarted {
  driver: string;
  host: string;
  port: number;
  interface: string;
  read: string;
}

/**
 * `sps simulate <driver> --json` for a CAN driver: the running simulator, its first line, and the
 * flags that reach its socketcand gateway on loopback (without `--interface`, which some tests vary).
 */
export async function simulateCanDriver(
  driver: string,
): Promise<{ simulator: SpsProcess; started: CanSimulatorStarted; target: string[] }> {
  const simulator = new SpsProcess(['simulate', driver, '--json']);
  const match = await simulator.waitForOutput(/^(\{.*\})\n/);
  const started = JSON.parse(match[1] as string) as CanSimulatorStarted;
  const target = ['--transport', 'socketcand', '--host', '127.0.0.1', '--port', String(started.port)];
  return { simulator, started, target };
}

/** `sps read <driver>` against a loopback port where no socketcand gateway listens. */
export async function readWithoutGateway(driver: string): Promise<Awaited<ReturnType<typeof runSps>>> {
  const port = await unusedPort();
  return runSps(['read', driver, '--transport', 'socketcand', '--host', '127.0.0.1', '--port', String(port)]);
}
