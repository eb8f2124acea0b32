import { createRequire } from 'node:module';
import { DeviceError } from '@sps/core';
import { z } from 'zod';
import type { CanBus } from '../can-bus.js';
import { canFrameProblem, type CanFrame } from '../frame.js';
import { Listeners } from '../listeners.js';

/**
 * The part of the `socketcan` package (sebi2k1/node-can, MIT; a native add-on) this transport uses:
 * `createRawChannelWithOptions(name, { timestamps, non_block_send })` opens a CAN_RAW socket bound to
 * the interface (it throws "Error while creating channel" when the interface does not exist or
 * AF_CAN is missing); the channel calls `onMessage` listeners with `{ id, ext?, rtr?, err?, data,
 * ts_sec?, ts_usec? }` and `onStopped` listeners when its receive thread ends (interface removed,
 * socket error, or `stop()`); `send({ id, ext, rtr, data })` returns the bytes written, or -1 when a
 * non-blocking send cannot go out (transmit queue full, interface down). An exception thrown inside
 * a listener is fatal to the process in the add-on (napi_fatal_exception), so ours never throw.
 */
export interface SocketcanRawChannel {
  addListener(event: 'onMessage' | 'onStopped', callback: (message?: unknown) => void): unknown;
  start(): unknown;
  stop(): unknown;
  send(message: { id: number; ext: boolean; rtr: boolean; data: Buffer }): unknown;
}

export interface SocketcanModule {
  createRawChannelWithOptions(
    name: string,
    options: { timestamps?: boolean; non_block_send?: boolean },
  ): SocketcanRawChannel;
}

/** Finds the `socketcan` package; tests pass a stub, production requires it on first open. */
export type SocketcanModuleLoader = () => unknown;

const SOCKETCAN_PACKAGE = 'socketcan';
/**
 * Required lazily and by a variable name: the package is optional and native (not built on machines
 * without a compiler or Linux headers), so neither loading this module nor the tests may need it.
 */
export const loadSocketcanPackage: SocketcanModuleLoader = () => createRequire(__filename)(SOCKETCAN_PACKAGE);

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const moduleShape = z.object({ createRawChannelWithOptions: z.custom(isFunction) });
const channelShape = z.object({
  addListener: z.custom(isFunction),
  start: z.custom(isFunction),
  stop: z.custom(isFunction),
  send: z.custom(isFunction),
});
const messageShape = z.object({
  id: z.int().min(0),
  ext: z.boolean().optional(),
  rtr: z.boolean().optional(),
  err: z.boolean().optional(),
  data: z.instanceof(Uint8Array),
  ts_sec: z.number().optional(),
  ts_usec: z.number().optional(),
});

function findModule(loaded: unknown): SocketcanModule | null {
  // The original objects, not zod's copies: the native methods rely on `this`.
  if (moduleShape.safeParse(loaded).success) return loaded as SocketcanModule;
  if (typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    if (moduleShape.safeParse(loaded.default).success) return loaded.default as SocketcanModule;
  }
  return null;
}

const messageOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string'
    ? err.message
    : String(err);

/** Something the interface delivered that is not a data frame for the listeners. */
export type SocketcanProblem =
  | { readonly kind: 'error_frame'; readonly id: number }
  | { readonly kind: 'malformed'; readonly text: string; readonly reason: string };

export interface SocketcanBusOptions {
  /** The Linux CAN netdev, e.g. can0. */
  readonly interface: string;
  readonly load?: SocketcanModuleLoader;
  readonly onProblem?: (problem: SocketcanProblem) => void;
  readonly onListenerError?: (err: unknown) => void;
}

/**
 * A CanBus on a local SocketCAN interface through the optional `socketcan` package. The interface
 * must be up already (bit rate is a host setting: `ip link set can0 up type can bitrate 500000`);
 * the add-on only opens a raw socket on it. Remote requests are ignored; error frames are reported.
 */
export class SocketcanBus implements CanBus {
  readonly label: string;
  private readonly load: SocketcanModuleLoader;
  private readonly frames: Listeners<CanFrame>;
  private readonly downs: Listeners<string>;
  private channel: SocketcanRawChannel | null = null;

  constructor(private readonly options: SocketcanBusOptions) {
    this.label = `socketcan ${options.interface}`;
    this.load = options.load ?? loadSocketcanPackage;
    this.frames = new Listeners(options.onListenerError);
    this.downs = new Listeners(options.onListenerError);
  }

  get isOpen(): boolean {
    return this.channel !== null;
  }

  open(): Promise<void> {
    if (this.channel !== null) return Promise.resolve();
    try {
      this.channel = this.openChannel();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof DeviceError ? err : new DeviceError('bad_response', messageOf(err)));
    }
  }

  send(frame: CanFrame): Promise<void> {
    const channel = this.channel;
    if (channel === null) return Promise.reject(new DeviceError('not_connected', `${this.label}: the bus is not open`));
    const problem = canFrameProblem(frame);
    if (problem !== null) return Promise.reject(new DeviceError('rejected', `${this.label}: ${problem}`));
    let written: unknown;
    try {
      written = channel.send({ id: frame.id, ext: frame.extended, rtr: false, data: Buffer.from(frame.data) });
    } catch (err) {
      return Promise.reject(new DeviceError('bad_response', `${this.label}: send failed (${messageOf(err)})`));
    }
    if (typeof written === 'number' && written < 0) {
      return Promise.reject(
        new DeviceError('busy', `${this.label}: the frame could not be queued (transmit queue full or interface down)`),
      );
    }
    return Promise.resolve();
  }

  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.frames.add(listener);
  }

  onDown(listener: (reason: string) => void): () => void {
    return this.downs.add(listener);
  }

  close(): Promise<void> {
    const channel = this.channel;
    // Cleared first: stop() calls the onStopped listeners synchronously, and a close is not a loss.
    this.channel = null;
    if (channel !== null) {
      try {
        channel.stop();
      } catch {
        // Already stopped by the interface going away.
      }
    }
    return Promise.resolve();
  }

  private openChannel(): SocketcanRawChannel {
    let loaded: unknown;
    try {
      loaded = this.load();
    } catch (err) {
      throw new DeviceError(
        'unsupported',
        `SocketCAN is not available: the optional native package "socketcan" is not installed or not built for this system (${messageOf(err)}); use transport socketcand through a gateway instead`,
        { cause: err },
      );
    }
    const module = findModule(loaded);
    if (module === null) {
      throw new DeviceError(
        'unsupported',
        'SocketCAN is not available: the installed "socketcan" package has no createRawChannelWithOptions()',
      );
    }
    let created: unknown;
    try {
      created = module.createRawChannelWithOptions(this.options.interface, { timestamps: true, non_block_send: true });
    } catch (err) {
      throw new DeviceError(
        'connection_refused',
        `${this.label}: cannot open CAN interface ${this.options.interface} (${messageOf(err)}); is it up (ip link set ${this.options.interface} up type can bitrate …) and does the add-on have the host network?`,
        { cause: err },
      );
    }
    if (!channelShape.safeParse(created).success) {
      throw new DeviceError(
        'unsupported',
        `SocketCAN is not available: "socketcan" returned an unexpected channel object`,
      );
    }
    const channel = created as SocketcanRawChannel;
    channel.addListener('onMessage', (message) => this.receive(channel, message));
    channel.addListener('onStopped', () => this.stopped(channel));
    try {
      channel.start();
    } catch (err) {
      throw new DeviceError('connection_refused', `${this.label}: cannot start receiving (${messageOf(err)})`, {
        cause: err,
      });
    }
    return channel;
  }

  private report(problem: SocketcanProblem): void {
    try {
      this.options.onProblem?.(problem);
    } catch {
      // Never into the native callback.
    }
  }

  private receive(channel: SocketcanRawChannel, message: unknown): void {
    if (channel !== this.channel) return;
    const parsed = messageShape.safeParse(message);
    if (!parsed.success) {
      this.report({
        kind: 'malformed',
        text: String(message).slice(0, 200),
        reason: parsed.error.issues[0]?.message ?? 'invalid',
      });
      return;
    }
    const m = parsed.data;
    if (m.err === true) {
      this.report({ kind: 'error_frame', id: m.id });
      return;
    }
    if (m.rtr === true) return;
    const frame: CanFrame = {
      id: m.id,
      extended: m.ext === true,
      data: Uint8Array.from(m.data),
      ...(m.ts_sec === undefined ? {} : { timestampMs: m.ts_sec * 1000 + (m.ts_usec ?? 0) / 1000 }),
    };
    const problem = canFrameProblem(frame);
    if (problem !== null) {
      this.report({ kind: 'malformed', text: `id ${m.id}`, reason: problem });
      return;
    }
    this.frames.emit(frame);
  }

  private stopped(channel: SocketcanRawChannel): void {
    if (channel !== this.channel) return; // our own close()
    this.channel = null;
    this.downs.emit(`${this.label}: the CAN interface stopped (removed, down for good, or a socket error)`);
  }
}
