import { DeviceError, toDeviceError, type Clock } from '@sps/core';
import { decodeWord, encodeWord, hex16, hex8 } from './codec/word.js';
import { describeAddress, i2cError, type I2cBus } from './bus/i2c-bus.js';

export interface Ina260ClientOptions {
  readonly bus: I2cBus;
  readonly address: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/**
 * Register access to one INA260: 16-bit words, MSB first, one transfer at a time, each with a
 * timeout on the project's clock (a wedged bus must not hang a poll). Every failure is a
 * `DeviceError`: NACK → connection_refused, EIO → connection_lost, no answer → timeout,
 * a short read → bad_response.
 */
export class Ina260Client {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: Ina260ClientOptions) {}

  get where(): string {
    return describeAddress(this.options.bus, this.options.address);
  }

  async readWord(register: number): Promise<number> {
    const bytes = await this.transfer(`reading register ${hex8(register)}`, () =>
      this.options.bus.readRegister(this.options.address, register, 2),
    );
    try {
      return decodeWord(bytes, `register ${hex8(register)} at ${this.where}`);
    } catch (err) {
      throw toDeviceError(err);
    }
  }

  async writeWord(register: number, value: number): Promise<void> {
    await this.transfer(`writing ${hex16(value)} to register ${hex8(register)}`, () =>
      this.options.bus.writeRegister(this.options.address, register, encodeWord(value)),
    );
  }

  private transfer<T>(what: string, run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => this.withTimeout(what, run));
    // The next transfer waits for this one whatever its outcome.
    this.queue = result.catch(() => undefined);
    return result;
  }

  private withTimeout<T>(what: string, run: () => Promise<T>): Promise<T> {
    const { clock, timeoutMs } = this.options;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new DeviceError('timeout', `no answer within ${timeoutMs} ms ${what} at ${this.where}`)),
        timeoutMs,
      );
      Promise.resolve()
        .then(run)
        .then(
          (value) => {
            timer.cancel();
            resolve(value);
          },
          (err: unknown) => {
            timer.cancel();
            reject(i2cError(err, this.where));
          },
        );
    });
  }
}
