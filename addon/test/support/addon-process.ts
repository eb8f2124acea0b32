import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { UNHANDLED_REJECTION_MARK } from '../../src/unhandled-rejections';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO_ROOT, 'addon', 'dist', 'cli.js');

/**
 * Child-process tests run the built CLI, so build first. `tsc -b` is incremental (a no-op
 * when dist is fresh), and a lock keeps parallel jest workers from building at once.
 */
export function ensureBuilt(): void {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO_ROOT] });
  const lock = path.join(REPO_ROOT, 'node_modules', '.sps-addon-build.lock');
  const result = existsSync('/usr/bin/flock')
    ? spawnSync('/usr/bin/flock', [lock, process.execPath, tsc, '-b', 'addon'], { cwd: REPO_ROOT, encoding: 'utf8' })
    : spawnSync(process.execPath, [tsc, '-b', 'addon'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc -b addon failed:\n${result.stdout}${result.stderr}`);
}

/** A running `sps …` child with its output collected. */
export class SpsProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    // SUPERVISOR_TOKEN must not leak in from a developer's shell: these tests run standalone.
    const { SUPERVISOR_TOKEN: _ignored, ...parentEnv } = process.env;
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Wait until stdout matches; fails with the output so far if the child exits or time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        throw new Error(
          `no ${pattern} in output (exited: ${exited})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The add-on's URL from its startup line. */
  async url(): Promise<string> {
    const match = await this.waitForOutput(/(?:listening on|open) (http:\/\/localhost:\d+\/)/);
    return (match[1] as string).replace('localhost', '127.0.0.1');
  }

  /** Resolves with the exit, or rejects if the child is still running after `ms`. */
  async exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running ${ms} ms later`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The stderr lines of the add-on's last-resort handler: every one is a bug. */
  unhandledRejections(): string[] {
    return this.stderr.split('\n').filter((line) => line.startsWith(UNHANDLED_REJECTION_MARK));
  }

  /**
   * Clean-up for afterAll: never leave a child behind. Also fails the suite if the child logged
   * an unhandled rejection at any point, so no test that spawns the add-on lets one slip by.
   */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    const stray = this.unhandledRejections();
    if (stray.length > 0) {
      throw new Error(`sps ${this.args.join(' ')} logged ${stray.length} unhandled rejection(s):\n${stray.join('\n')}`);
    }
  }
}

/** Run `sps …` to completion. */
export async function runSps(
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = new SpsProcess(args);
  try {
    const { code } = await child.exitWithin(timeoutMs);
    return { code, stdout: child.stdout, stderr: child.stderr };
  } finally {
    await child.kill();
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
