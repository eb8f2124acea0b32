import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real Mosquitto on loopback for tests and the demo: Debian's /usr/sbin/mosquitto (or `mosquitto`
 * on PATH) with a generated config in a temp dir, on free ports. Persistence is on, so `restart()`
 * (same ports) keeps persistent sessions and their queued QoS 1 messages, as a production broker
 * restarting would.
 */
export interface MosquittoOptions {
  /** A TLS listener beside the plain one, with these PEM texts. */
  readonly tls?: {
    readonly caPem: string;
    readonly certPem: string;
    readonly keyPem: string;
    readonly requireClientCert?: boolean;
  };
  /** When given, anonymous clients are refused and these are the only accounts. */
  readonly users?: readonly { readonly user: string; readonly password: string }[];
  /** Path of the broker binary; default /usr/sbin/mosquitto, then `mosquitto` on PATH. */
  readonly binary?: string;
}

export interface RunningMosquitto {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** mqtts://127.0.0.1:<tls port>, when `tls` was given. */
  readonly tlsUrl?: string;
  readonly port: number;
  readonly tlsPort?: number;
  /** The broker's recent log lines (for a test's failure message). */
  log(): string;
  stop(): Promise<void>;
  /** Stops and starts again on the same ports with the same persistence file. */
  restart(): Promise<void>;
}

export class MosquittoMissingError extends Error {
  override readonly name = 'MosquittoMissingError';
  constructor() {
    super('mosquitto is not installed (apt-get install mosquitto, as the README setup does)');
  }
}

const DEBIAN_PATH = '/usr/sbin/mosquitto';
const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;
const LOG_LINES = 200;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findMosquitto(explicit?: string): string {
  if (explicit !== undefined) {
    if (!isExecutable(explicit)) throw new MosquittoMissingError();
    return explicit;
  }
  if (isExecutable(DEBIAN_PATH)) return DEBIAN_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutable(path.join(dir, 'mosquitto'))) return path.join(dir, 'mosquitto');
  }
  throw new MosquittoMissingError();
}

/** A port nobody listens on now (the broker binds it a moment later; a lost race is retried). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Mosquitto's `$6$` password hash: base64(SHA-512(password ‖ salt)) with a random salt (mosquitto_passwd's older format, still read by 2.x). */
function passwordLine(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = createHash('sha512').update(password, 'utf8').update(salt).digest();
  return `${user}:$6$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface Layout {
  readonly dir: string;
  readonly port: number;
  readonly tlsPort: number | undefined;
}

function writeConfig(layout: Layout, options: MosquittoOptions): string {
  const { dir } = layout;
  const lines = [
    'per_listener_settings false',
    'persistence true',
    `persistence_location ${dir}/`,
    'persistence_file mosquitto.db',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    // Running as root (containers), stay root so the temp dir stays writable.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ];
  if (options.users !== undefined && options.users.length > 0) {
    const file = path.join(dir, 'passwords');
    writeFileSync(file, options.users.map((u) => passwordLine(u.user, u.password)).join('\n') + '\n', { mode: 0o600 });
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  lines.push(`listener ${layout.port} 127.0.0.1`);
  if (options.tls !== undefined && layout.tlsPort !== undefined) {
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    };
    lines.push(
      `listener ${layout.tlsPort} 127.0.0.1`,
      `cafile ${write('ca.pem', options.tls.caPem)}`,
      `certfile ${write('server.pem', options.tls.certPem)}`,
      `keyfile ${write('server.key', options.tls.keyPem)}`,
      `require_certificate ${options.tls.requireClientCert === true ? 'true' : 'false'}`,
    );
  }
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o600 });
  return conf;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test that dies must not leave brokers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const binary = findMosquitto(options.binary);
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-mosquitto-'));
  const logLines: string[] = [];
  let child: ChildProcess | undefined;
  let layout: Layout | undefined;

  const launch = async (l: Layout): Promise<void> => {
    const conf = writeConfig(l, options);
    const proc = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(proc);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') logLines.push(line);
      if (logLines.length > LOG_LINES) logLines.splice(0, logLines.length - LOG_LINES);
    });
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      running.delete(proc);
    });
    proc.once('error', () => {
      exited = true;
      running.delete(proc);
    });
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (exited) throw new Error(`mosquitto exited at start: ${logLines.slice(-3).join(' | ') || 'no output'}`);
      const ready = (await accepts(l.port)) && (l.tlsPort === undefined || (await accepts(l.tlsPort)));
      if (ready) break;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not accept connections within ${START_DEADLINE_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    child = proc;
  };

  const stopChild = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  };

  for (let attempt = 0; ; attempt++) {
    const l: Layout = { dir, port: await freePort(), tlsPort: options.tls ? await freePort() : undefined };
    try {
      await launch(l);
      layout = l;
      break;
    } catch (err) {
      // Another process took the port between our probe and the broker's bind: try new ports.
      if (attempt < 3 && logLines.some((line) => /in use/i.test(line))) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const fixed = layout;
  return {
    url: `mqtt://127.0.0.1:${fixed.port}`,
    ...(fixed.tlsPort !== undefined ? { tlsUrl: `mqtts://127.0.0.1:${fixed.tlsPort}`, tlsPort: fixed.tlsPort } : {}),
    port: fixed.port,
    log: () => logLines.join('\n'),
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild();
      // The old socket may linger for a moment; the broker sets SO_REUSEADDR, so a few tries suffice.
      for (let attempt = 0; ; attempt++) {
        try {
          await launch(fixed);
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
