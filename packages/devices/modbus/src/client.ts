import ModbusRTU from 'modbus-serial';
import { DeviceError, type DeviceErrorKind } from '@sps/core';
/** The two 16-bit register tables Modbus reads: FC4 (input) and FC3 (holding). */
export type RegisterTable = 'input' | 'holding';

export interface ModbusTcpClientOptions {
  readonly host: string;
  readonly port: number;
  /** Per request (and per connection attempt). */
  readonly timeoutMs: number;
  /** Quiet time between the end of one exchange and the next request (some gateways drop faster requests). */
  readonly interMessageDelayMs: number;
}

const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

/**
 * Exceptions that say "not now" rather than "no": 5 (acknowledge: still working on it), 6 (server
 * device busy), 10 (gateway path unavailable) and 11 (0x0B, gateway target failed to respond: a
 * Sungrow WiNet-S dongle lost its inverter, or a Sigenergy plant, the gateway to its inverters,
 * could not reach one for a moment). A later attempt can succeed, so they are `busy`. 1–3 (illegal function/address/value) and 4 (server device failure)
 * can never succeed as asked.
 */
export const TRANSIENT_MODBUS_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 10, 11]);

/** The device answered with a Modbus exception; `exceptionCode` 2 means "no such register here". */
export class ModbusExceptionError extends DeviceError {
  constructor(
    readonly exceptionCode: number,
    what: string,
  ) {
    super(
      TRANSIENT_MODBUS_EXCEPTIONS.has(exceptionCode) ? 'busy' : 'rejected',
      `Modbus exception ${exceptionCode} (${MODBUS_EXCEPTIONS[exceptionCode] ?? 'unknown'}) ${what}`,
    );
  }
}

export function isIllegalAddress(err: unknown): err is ModbusExceptionError {
  return err instanceof ModbusExceptionError && err.exceptionCode === 2;
}

/**
 * Modbus TCP transport: one TCP connection, the unit id chosen per request. Register numbers are
 * wire addresses; a vendor whose documentation numbers them otherwise converts before calling and
 * passes `what` (the request as its documentation names it, for error messages).
 *
 * One request in flight at a time, with a quiet gap between exchanges; connects lazily and,
 * after a timeout or a dropped connection, throws the socket away and reconnects on the next
 * request (a late answer on an old socket must never be taken for the next request's).
 * Every failure is a DeviceError: timeout, connection_refused, connection_lost, bad_response,
 * rejected or busy (ModbusExceptionError, by exception code).
 */
export class ModbusTcpClient {
  private rtu: ModbusRTU | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private lastExchangeEnd = 0;
  private closed = false;
  /** Rejects the in-flight request when the socket closes under it. */
  private onConnectionLost: ((err: DeviceError) => void) | null = null;

  constructor(readonly options: ModbusTcpClientOptions) {}

  get isConnected(): boolean {
    return this.rtu?.isOpen === true;
  }

  /** Open the connection now (otherwise the first request does). */
  connect(): Promise<void> {
    this.closed = false;
    return this.enqueue(() => this.ensureConnected());
  }

  readInputRegisters(unitId: number, start: number, count: number): Promise<number[]> {
    return this.read(unitId, 'input', start, count);
  }

  readHoldingRegisters(unitId: number, start: number, count: number): Promise<number[]> {
    return this.read(unitId, 'holding', start, count);
  }

  read(
    unitId: number,
    table: RegisterTable,
    start: number,
    count: number,
    what = `reading unit ${unitId} ${table} ${start}..${start + count - 1}`,
  ): Promise<number[]> {
    return this.request(unitId, what, async (rtu) => {
      const result =
        table === 'input' ? await rtu.readInputRegisters(start, count) : await rtu.readHoldingRegisters(start, count);
      if (!Array.isArray(result.data) || result.data.length !== count) {
        throw new DeviceError('bad_response', `${what}: expected ${count} registers, got ${result.data?.length ?? 0}`);
      }
      return result.data;
    });
  }

  /** FC6: one holding register. */
  writeRegister(
    unitId: number,
    register: number,
    value: number,
    what = `writing unit ${unitId} holding ${register}←${value}`,
  ): Promise<void> {
    return this.request(unitId, what, async (rtu) => {
      await rtu.writeRegister(register, value);
    });
  }

  /** FC16: consecutive holding registers (a U32 is two). */
  writeRegisters(
    unitId: number,
    start: number,
    values: readonly number[],
    what = `writing unit ${unitId} holding ${start}..${start + values.length - 1}←${values.join(',')}`,
  ): Promise<void> {
    return this.request(unitId, what, async (rtu) => {
      await rtu.writeRegisters(start, [...values]);
    });
  }

  /** Close the socket; later requests fail with not_connected until `connect()` is called again. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.dropConnection();
  }

  private request<T>(unitId: number, what: string, exchange: (rtu: ModbusRTU) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await this.ensureConnected();
      const rtu = this.rtu as ModbusRTU;
      await this.waitQuietGap();
      // One socket, several units: the id travels in each request's MBAP header.
      rtu.setID(unitId);
      try {
        return await this.withDeadline(what, exchange(rtu));
      } catch (err) {
        const deviceError = this.classify(err, what);
        // After a timeout or a lost link the socket may still deliver a stale answer: start afresh.
        // An exception answer (refusal or busy) proves the link is fine.
        if (!deviceError.deviceAnswered) this.dropConnection();
        throw deviceError;
      } finally {
        this.lastExchangeEnd = Date.now();
      }
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async waitQuietGap(): Promise<void> {
    const wait = this.lastExchangeEnd + this.options.interMessageDelayMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async ensureConnected(): Promise<void> {
    if (this.closed) throw new DeviceError('not_connected', 'the Modbus client is closed');
    if (this.rtu?.isOpen === true) return;
    this.dropConnection();
    const rtu = new ModbusRTU();
    const { host, port, timeoutMs } = this.options;
    // A socket error after connect is reported through 'close'; this listener only keeps the
    // emitter from throwing on an unhandled 'error'.
    rtu.on('error', () => undefined);
    rtu.on('close', () => {
      if (this.rtu === rtu) {
        this.onConnectionLost?.(new DeviceError('connection_lost', `connection to ${host}:${port} closed`));
      }
    });
    this.rtu = rtu;
    try {
      await this.withDeadline(`connecting to ${host}:${port}`, rtu.connectTCP(host, { port }), timeoutMs);
    } catch (err) {
      this.dropConnection();
      const e = this.classify(err, `connecting to ${host}:${port}`);
      // Failing to open is "refused" whatever the socket said, except a plain timeout.
      throw e.kind === 'timeout' ? e : new DeviceError('connection_refused', e.message, { cause: err });
    }
  }

  private withDeadline<T>(what: string, work: Promise<T>, ms = this.options.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new DeviceError('timeout', `no answer within ${ms} ms ${what}`));
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.onConnectionLost = null;
      };
      this.onConnectionLost = (err) => {
        finish();
        reject(new DeviceError(err.kind, `${err.message} while ${what}`));
      };
      work.then(
        (value) => {
          finish();
          resolve(value);
        },
        (err: unknown) => {
          finish();
          reject(err);
        },
      );
    });
  }

  private classify(err: unknown, what: string): DeviceError {
    if (err instanceof DeviceError) return err;
    const fields = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};
    const message = typeof fields.message === 'string' ? fields.message : String(err);
    if (typeof fields.modbusCode === 'number') return new ModbusExceptionError(fields.modbusCode, what);
    const code = typeof fields.code === 'string' ? fields.code : typeof fields.errno === 'string' ? fields.errno : '';
    const kind = ERRNO_KINDS[code] ?? (message === 'Port Not Open' ? 'connection_lost' : 'bad_response');
    return new DeviceError(kind, `${message} (${what})`, { cause: err });
  }

  private dropConnection(): void {
    const rtu = this.rtu;
    this.rtu = null;
    if (rtu === null) return;
    // destroy() on a port that never opened can throw inside modbus-serial; nothing to clean up then.
    try {
      rtu.destroy(() => undefined);
    } catch {
      /* already gone */
    }
  }
}

const ERRNO_KINDS: Readonly<Record<string, DeviceErrorKind>> = {
  ECONNREFUSED: 'connection_refused',
  EHOSTUNREACH: 'connection_refused',
  ENETUNREACH: 'connection_refused',
  ENOTFOUND: 'connection_refused',
  EAI_AGAIN: 'connection_refused',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
  ECONNABORTED: 'connection_lost',
  ETIMEDOUT: 'timeout',
};
