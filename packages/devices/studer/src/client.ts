import type { CanBus, CanFrame } from '@sps/can';
import { DeviceError, systemClock, type Clock, type TimerHandle } from '@sps/core';
import {
  decodeResponseFrame,
  encodeRequestFrame,
  XCOM_ERROR,
  type ParameterPartName,
  type XcomRequest,
  type XcomResponse,
} from './codec/frames.js';

/**
 * Defaults of the request discipline (Studer's rules for the Xcom-CAN public protocol: one request
 * in flight, about 1 s to answer, do not flood — the gateway relays every request onto Studer's
 * internal bus, which is slower than CAN and shared with the RCC and the other devices).
 *
 * The gap: 50 ms of silence after each answer before the next request. A request and its answer
 * are two frames of ~130 bits (≈ 1 ms at 125 kbit/s, 13 ms at 10 kbit/s), so even at the slowest
 * DIP setting we use at most about half of the CAN bus, and the internal bus gets a pause between
 * our requests for its own traffic. A poll (19 requests with one VarioTrack) then takes about 1 s,
 * well inside the 10 s default poll.
 */
export const STUDER_REQUEST_TIMEOUT_MS = 1000;
export const STUDER_REQUEST_RETRIES = 2;
export const STUDER_MIN_GAP_MS = 50;

export interface StuderClientOptions {
  readonly bus: CanBus;
  /** This client's address on the Studer bus (the Xcom-CAN answers to it); Studer's examples use 0. */
  readonly sourceAddress: number;
  /** Request timeouts and the gap between requests (default the system clock; tests pass a ManualClock). */
  readonly timers?: Clock;
  readonly timeoutMs?: number;
  /**
   * Retries after a timeout or a GATEWAY_BUSY answer (2: three attempts in all). A write is retried
   * only after GATEWAY_BUSY (the device did nothing), never after a timeout (it may have written).
   */
  readonly retries?: number;
  readonly minGapMs?: number;
}

/** What the client has seen, for diagnostics and tests. */
export interface StuderClientStats {
  /** Request frames put on the bus (retries included). */
  readonly sent: number;
  /** Of which writes (service 2). */
  readonly writesSent: number;
  readonly timeouts: number;
  readonly retries: number;
  /** Answers addressed to this client that matched no request in flight (late or foreign), ignored. */
  readonly strayAnswers: number;
  /** Frames addressed to this client that do not decode, ignored. */
  readonly undecodable: number;
  /** Message notifications (service 3) seen. */
  readonly messages: number;
  /** The most recent undecodable frame's reason, for a person reading the stats. */
  readonly lastUndecodable?: string;
}

interface InFlight {
  readonly destination: number;
  readonly request: XcomRequest;
  readonly settle: (outcome: { response: XcomResponse } | { error: DeviceError }) => void;
}

/**
 * The Studer public protocol over one CanBus: every request waits its turn (one in flight), is
 * answered or times out and is retried, and an answer is taken only when it comes from the
 * device asked, to this client, for the same service and object (and part). close() in the middle
 * of a request rejects it and everything queued with `not_connected`; nothing is left pending.
 */
export class StuderXcomClient {
  private readonly bus: CanBus;
  private readonly source: number;
  private readonly timers: Clock;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly minGapMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight: InFlight | null = null;
  private gapTimer: { handle: TimerHandle; resolve: () => void } | null = null;
  private closed = true;
  private generation = 0;
  private unsubscribe: (() => void)[] = [];
  private counters = { sent: 0, writesSent: 0, timeouts: 0, retries: 0, strayAnswers: 0, undecodable: 0, messages: 0 };
  private lastUndecodable: string | undefined;
  private downReason: string | null = null;
  private lastSettledAt = Number.NEGATIVE_INFINITY;

  constructor(options: StuderClientOptions) {
    this.bus = options.bus;
    this.source = options.sourceAddress;
    this.timers = options.timers ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? STUDER_REQUEST_TIMEOUT_MS;
    this.retries = options.retries ?? STUDER_REQUEST_RETRIES;
    this.minGapMs = options.minGapMs ?? STUDER_MIN_GAP_MS;
  }

  get label(): string {
    return this.bus.label;
  }

  get stats(): StuderClientStats {
    return {
      ...this.counters,
      ...(this.lastUndecodable === undefined ? {} : { lastUndecodable: this.lastUndecodable }),
    };
  }

  get isOpen(): boolean {
    return !this.closed && this.bus.isOpen;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    this.detach();
    this.unsubscribe = [
      this.bus.onFrame((frame) => this.onFrame(frame)),
      this.bus.onDown((reason) => {
        this.downReason = reason;
        this.failInFlight(new DeviceError('connection_lost', reason));
      }),
    ];
    this.downReason = null;
    await this.bus.open();
    this.closed = false;
  }

  readUserInfo(destination: number, info: number): Promise<number> {
    return this.value(destination, { service: 'read_user_info', object: info });
  }

  readParameter(destination: number, parameter: number, part: ParameterPartName = 'flash'): Promise<number> {
    return this.value(destination, { service: 'read_parameter', object: parameter, part });
  }

  /** Resolves with the value the device echoes back. */
  writeParameter(
    destination: number,
    parameter: number,
    value: number,
    part: ParameterPartName = 'flash',
  ): Promise<number> {
    return this.value(destination, { service: 'write_parameter', object: parameter, part, value });
  }

  /** Rejects the request in flight and every queued one; the bus is closed. */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    this.failInFlight(new DeviceError('not_connected', `${this.bus.label}: closed`));
    if (this.gapTimer) {
      this.gapTimer.handle.cancel();
      this.gapTimer.resolve();
      this.gapTimer = null;
    }
    this.detach();
    await this.bus.close();
  }

  private detach(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  private async value(destination: number, request: XcomRequest): Promise<number> {
    const response = await this.request(destination, request);
    if (response.kind !== 'value') throw new DeviceError('bad_response', 'unexpected answer kind');
    return response.value;
  }

  /** Queue one request; it runs when every earlier one has settled and the gap has passed. */
  request(destination: number, request: XcomRequest): Promise<XcomResponse> {
    const generation = this.generation;
    const run = this.queue.then(() => this.exchange(destination, request, generation));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange(destination: number, request: XcomRequest, generation: number): Promise<XcomResponse> {
    let lastError: DeviceError | null = null;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (this.closed || generation !== this.generation) {
        throw new DeviceError('not_connected', `${this.bus.label}: closed`);
      }
      if (!this.bus.isOpen) {
        throw new DeviceError('not_connected', `${this.bus.label}: ${this.downReason ?? 'the bus is not open'}`);
      }
      await this.gap();
      if (this.closed || generation !== this.generation) {
        throw new DeviceError('not_connected', `${this.bus.label}: closed`);
      }
      if (attempt > 0) this.counters.retries++;
      try {
        const response = await this.once(destination, request);
        if (response.kind === 'error') throw errorFor(destination, response);
        return response;
      } catch (err) {
        const error = err instanceof DeviceError ? err : new DeviceError('bad_response', String(err));
        if (error.kind !== 'timeout' && error.kind !== 'busy') throw error;
        // A write whose answer never came may have been applied: sending it again could cost the
        // device's flash a second write. The caller reads the parameter back instead (the adapter does).
        if (error.kind === 'timeout' && request.service === 'write_parameter') throw error;
        lastError = error;
      } finally {
        this.lastSettledAt = this.timers.now();
      }
    }
    throw lastError ?? new DeviceError('timeout', 'no answer');
  }

  /** One frame out, one answer back (or a timeout). */
  private once(destination: number, request: XcomRequest): Promise<XcomResponse> {
    return new Promise<XcomResponse>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const settle = (outcome: { response: XcomResponse } | { error: DeviceError }): void => {
        if (this.inFlight !== entry) return;
        this.inFlight = null;
        timer?.cancel();
        if ('response' in outcome) resolve(outcome.response);
        else reject(outcome.error);
      };
      const entry: InFlight = { destination, request, settle };
      this.inFlight = entry;
      timer = this.timers.setTimeout(() => {
        this.counters.timeouts++;
        settle({
          error: new DeviceError(
            'timeout',
            `no answer from Studer address ${destination} to ${describe(request)} within ${this.timeoutMs} ms`,
          ),
        });
      }, this.timeoutMs);
      let frame: CanFrame;
      try {
        frame = encodeRequestFrame(this.source, destination, request);
      } catch (err) {
        settle({ error: new DeviceError('rejected', err instanceof Error ? err.message : String(err)) });
        return;
      }
      this.counters.sent++;
      if (request.service === 'write_parameter') this.counters.writesSent++;
      this.bus.send(frame).catch((err: unknown) => {
        settle({ error: err instanceof DeviceError ? err : new DeviceError('connection_lost', String(err)) });
      });
    });
  }

  /** Waits what is left of the gap since the last exchange settled (nothing when it is long past). */
  private gap(): Promise<void> {
    const wait = this.lastSettledAt + this.minGapMs - this.timers.now();
    if (wait <= 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const handle = this.timers.setTimeout(() => {
        this.gapTimer = null;
        resolve();
      }, wait);
      this.gapTimer = { handle, resolve };
    });
  }

  private failInFlight(error: DeviceError): void {
    this.inFlight?.settle({ error });
  }

  private onFrame(frame: CanFrame): void {
    if (!frame.extended) return; // 11-bit traffic (a BMS on the same bus) is none of ours
    const decoded = decodeResponseFrame(frame);
    if (!decoded.ok) {
      // Only count frames that claim to be for us; others on a shared bus are not our business.
      if (((frame.id / 2 ** 19) & 0x3ff) === this.source) {
        this.counters.undecodable++;
        this.lastUndecodable = decoded.reason;
      }
      return;
    }
    const { source, destination, body } = decoded.value;
    if (body.kind === 'message') {
      this.counters.messages++;
      return;
    }
    if (destination !== this.source) return;
    const pending = this.inFlight;
    if (pending === null || !answers(pending, source, body)) {
      this.counters.strayAnswers++;
      return;
    }
    pending.settle({ response: body });
  }
}

/** Same device, same service, same object, and for parameters the same part. */
function answers(pending: InFlight, source: number, body: Exclude<XcomResponse, { kind: 'message' }>): boolean {
  const request = pending.request;
  if (source !== pending.destination || body.service !== request.service || body.object !== request.object)
    return false;
  if (body.kind === 'error' || request.service === 'read_user_info') return true;
  return 'part' in body && body.part === request.part;
}

function describe(request: XcomRequest): string {
  switch (request.service) {
    case 'read_user_info':
      return `read of user info ${request.object}`;
    case 'read_parameter':
      return `read of parameter ${request.object} (${request.part})`;
    case 'write_parameter':
      return `write of parameter ${request.object} (${request.part})`;
  }
}

/** The device's error answer as a DeviceError: busy is transient, an unknown object unsupported, the rest a refusal. */
export function errorFor(destination: number, response: Extract<XcomResponse, { kind: 'error' }>): DeviceError {
  const what = `Studer address ${destination} answered ${response.name} (0x${response.code.toString(16)}) to ${response.service.replaceAll('_', ' ')} ${response.object}`;
  switch (response.code) {
    case XCOM_ERROR.gatewayBusy:
    case XCOM_ERROR.responseTimeout:
      return new DeviceError('busy', what);
    case XCOM_ERROR.objectNotFound:
    case XCOM_ERROR.deviceNotFound:
      return new DeviceError('unsupported', what);
    default:
      return new DeviceError('rejected', what);
  }
}
