import { DecodeError, DeviceError } from '@sps/core';
import { looksLikeHandshake } from './codec/handshake.js';
import {
  decodeResponse,
  describeRequest,
  encodeRequest,
  FC_READ_HOLDING,
  FC_WRITE_MULTIPLE,
  FC_WRITE_SINGLE,
  MODBUS_EXCEPTIONS,
  type ModbusRequest,
} from './codec/modbus-frames.js';
import { ResponseAssembler } from './codec/response-assembler.js';
import type { BleLinkInfo, BleTransport } from './transport/ble-transport.js';

export interface BluettiClientOptions {
  /** Per attempt; the stations answer in well under a second, bluetti_mqtt waits ~5 s (§1.1). */
  readonly timeoutMs: number;
  /** Further attempts after a timeout or a corrupt answer (reads and FC6 writes are idempotent). */
  readonly retries: number;
  /** Quiet time between the end of one exchange and the next request: polite polling. */
  readonly requestGapMs: number;
}

/** The station answered with a Modbus exception (code 2: no such register on this model). */
export class BluettiExceptionError extends DeviceError {
  constructor(
    readonly exceptionCode: number,
    what: string,
  ) {
    super('rejected', `Modbus exception ${exceptionCode} (${MODBUS_EXCEPTIONS[exceptionCode] ?? 'unknown'}) ${what}`);
  }
}

/** The reason shown when a station speaks the encrypted protocol (device-protocols.md §1.4). */
export const ENCRYPTED_LINK_REASON =
  'this Bluetti encrypts its Bluetooth link (newer firmware sends an ECDH/AES key-exchange challenge) and the ' +
  'driver does not support the encrypted protocol; the station cannot be read or controlled';

interface PendingExchange {
  readonly request: ModbusRequest;
  readonly assembler: ResponseAssembler;
  settle(result: { frame: Uint8Array } | { error: DeviceError }): void;
}

/**
 * Modbus over one BLE link: one request in flight, answers reassembled from notifications,
 * a quiet gap between exchanges, retries for timeouts and corrupt answers. It recognises the
 * encrypted firmware's challenge and the BLE module's `AT+` chatter instead of timing out.
 * Every failure is a DeviceError.
 */
export class BluettiModbusClient {
  private queue: Promise<unknown> = Promise.resolve();
  private pending: PendingExchange | null = null;
  private lastExchangeEnd = 0;
  private encrypted = false;
  private closed = true;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly linkLostListeners = new Set<(reason: string) => void>();
  /** Corrupt answers seen and retried, for diagnostics and tests. */
  retriedExchanges = 0;

  constructor(
    readonly transport: BleTransport,
    readonly options: BluettiClientOptions,
  ) {}

  get isOpen(): boolean {
    return !this.closed && this.transport.connected;
  }

  /** True once the station has sent the encrypted protocol's challenge on this link. */
  get encryptionDetected(): boolean {
    return this.encrypted;
  }

  /** Connect the transport (again) and listen to it. */
  async open(): Promise<BleLinkInfo> {
    this.detach();
    this.encrypted = false;
    this.closed = false;
    this.unsubscribe.push(
      this.transport.onNotification((chunk) => this.onNotification(chunk)),
      this.transport.onDisconnect((reason) => this.handleLinkLost(reason)),
    );
    try {
      return await this.transport.connect();
    } catch (err) {
      this.detach();
      this.closed = true;
      throw err;
    }
  }

  /** Called with a reason when the link drops (not after close()). */
  onLinkLost(listener: (reason: string) => void): () => void {
    this.linkLostListeners.add(listener);
    return () => this.linkLostListeners.delete(listener);
  }

  async readRegisters(start: number, count: number): Promise<number[]> {
    const response = await this.exchange({ fc: FC_READ_HOLDING, start, count });
    return response;
  }

  async writeRegister(address: number, value: number): Promise<void> {
    await this.exchange({ fc: FC_WRITE_SINGLE, address, value });
  }

  async writeRegisters(address: number, values: readonly number[]): Promise<void> {
    await this.exchange({ fc: FC_WRITE_MULTIPLE, address, values });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.detach();
    this.pending?.settle({ error: new DeviceError('not_connected', 'the Bluetti client was closed') });
    await this.queue.catch(() => undefined);
    await this.transport.disconnect();
  }

  private exchange(request: ModbusRequest): Promise<number[]> {
    const run = this.queue.then(
      () => this.exchangeNow(request),
      () => this.exchangeNow(request),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchangeNow(request: ModbusRequest): Promise<number[]> {
    const what = describeRequest(request);
    let lastError: DeviceError | null = null;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      this.assertUsable(what);
      await this.quietGap();
      try {
        const frame = await this.once(request, what);
        const response = decodeResponse(request, frame);
        if (response.kind === 'exception') throw new BluettiExceptionError(response.code, what);
        return response.kind === 'registers' ? [...response.values] : [];
      } catch (err) {
        const error = err instanceof DecodeError ? new DeviceError('bad_response', err.message, { cause: err }) : err;
        if (!(error instanceof DeviceError)) throw err;
        // Worth another try: a lost or corrupted answer on a noisy radio link.
        if (error.kind !== 'timeout' && error.kind !== 'bad_response') throw error;
        lastError = error;
        this.retriedExchanges++;
      } finally {
        this.lastExchangeEnd = Date.now();
      }
    }
    throw lastError ?? new DeviceError('bad_response', `no valid answer ${what}`);
  }

  private assertUsable(what: string): void {
    if (this.encrypted) throw new DeviceError('unsupported', ENCRYPTED_LINK_REASON);
    if (this.closed) throw new DeviceError('not_connected', `the Bluetti client is closed (${what})`);
    if (!this.transport.connected) throw new DeviceError('connection_lost', `${this.transport.label} is not connected`);
  }

  private once(request: ModbusRequest, what: string): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        exchange.settle({ error: new DeviceError('timeout', `no answer within ${this.options.timeoutMs} ms ${what}`) });
      }, this.options.timeoutMs);
      const exchange: PendingExchange = {
        request,
        assembler: new ResponseAssembler(request),
        settle: (result) => {
          if (this.pending !== exchange) return;
          this.pending = null;
          clearTimeout(timer);
          if ('frame' in result) resolve(result.frame);
          else reject(result.error);
        },
      };
      this.pending = exchange;
      this.transport.write(encodeRequest(request)).catch((err: unknown) => {
        exchange.settle({
          error: err instanceof DeviceError ? err : new DeviceError('connection_lost', `${String(err)} (${what})`),
        });
      });
    });
  }

  private onNotification(chunk: Uint8Array): void {
    const pending = this.pending;
    if (pending === null) {
      // Between requests only the encrypted firmware speaks unasked: right after FF01 is subscribed.
      if (looksLikeHandshake(chunk)) this.encrypted = true;
      return;
    }
    const result = pending.assembler.push(chunk);
    if (result.status === 'incomplete') return;
    if (result.status === 'complete') {
      pending.settle({ frame: result.frame });
    } else if (result.kind === 'encryption_handshake') {
      this.encrypted = true;
      pending.settle({ error: new DeviceError('unsupported', ENCRYPTED_LINK_REASON) });
    } else {
      const reason = `${this.transport.label} fell back to its AT command mode (sent "${printable(result.bytes)}"): the link is broken`;
      pending.settle({ error: new DeviceError('connection_lost', reason) });
      void this.transport.disconnect().then(() => this.handleLinkLost(reason));
    }
  }

  private handleLinkLost(reason: string): void {
    if (this.closed) return;
    this.pending?.settle({ error: new DeviceError('connection_lost', reason) });
    for (const listener of [...this.linkLostListeners]) listener(reason);
  }

  private async quietGap(): Promise<void> {
    const wait = this.lastExchangeEnd + this.options.requestGapMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}

function printable(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, 24);
}
