import { DeviceError } from '@sps/core';
import { z } from 'zod';
import type { I2cBus } from './i2c-bus.js';

/**
 * The part of the `i2c-bus` package (fivdi, MIT) this driver uses: the promise API.
 * `readI2cBlock`/`writeI2cBlock` are SMBus "I2C block" transfers: register pointer, repeated
 * start, raw bytes in wire order, so no byte swap is needed (unlike `readWord`).
 */
interface PromisifiedI2c {
  readI2cBlock(address: number, register: number, length: number, buffer: Buffer): Promise<{ bytesRead: number }>;
  writeI2cBlock(address: number, register: number, length: number, buffer: Buffer): Promise<unknown>;
  close(): Promise<void>;
}

interface I2cBusModule {
  openPromisified(busNumber: number): Promise<unknown>;
}

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const moduleShape = z.object({ openPromisified: z.custom<I2cBusModule['openPromisified']>(isFunction) });
const busShape = z.object({
  readI2cBlock: z.custom<PromisifiedI2c['readI2cBlock']>(isFunction),
  writeI2cBlock: z.custom<PromisifiedI2c['writeI2cBlock']>(isFunction),
  close: z.custom<PromisifiedI2c['close']>(isFunction),
});

/** How the native module is found; tests replace it, production imports `i2c-bus` on first use. */
export type ModuleLoader = () => Promise<unknown>;

// A variable specifier keeps the compiler from resolving it: the package is optional and native,
// so neither installing the workspace nor running the tests needs it.
const I2C_BUS_PACKAGE = 'i2c-bus';
export const loadI2cBusPackage: ModuleLoader = () => import(I2C_BUS_PACKAGE) as Promise<unknown>;

/** Accepts both the CommonJS export and an ESM namespace wrapping it in `default`. */
function findModule(loaded: unknown): I2cBusModule | null {
  const direct = moduleShape.safeParse(loaded);
  if (direct.success) return direct.data;
  if (typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    const wrapped = moduleShape.safeParse(loaded.default);
    if (wrapped.success) return wrapped.data;
  }
  return null;
}

/**
 * Opens /dev/i2c-<busNumber> through `i2c-bus`. A missing or unbuildable package is reported
 * as `unsupported` with what to do, never as a crash at start-up.
 */
export async function openLinuxI2cBus(busNumber: number, load: ModuleLoader = loadI2cBusPackage): Promise<I2cBus> {
  const name = `/dev/i2c-${busNumber}`;
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (err) {
    throw new DeviceError(
      'unsupported',
      `${name}: I2C access needs the optional native package "i2c-bus", which is not installed or not built for this system (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  const module = findModule(loaded);
  if (module === null) {
    throw new DeviceError('unsupported', `${name}: the installed "i2c-bus" package has no openPromisified()`);
  }
  const opened = busShape.safeParse(await module.openPromisified(busNumber));
  if (!opened.success) throw new DeviceError('unsupported', `${name}: "i2c-bus" returned an unexpected bus object`);
  const bus = opened.data;
  return {
    name,
    async readRegister(address, register, length) {
      const buffer = Buffer.alloc(length);
      const result = await bus.readI2cBlock(address, register, length, buffer);
      const bytesRead = typeof result?.bytesRead === 'number' ? result.bytesRead : length;
      return new Uint8Array(buffer.subarray(0, bytesRead));
    },
    async writeRegister(address, register, data) {
      await bus.writeI2cBlock(address, register, data.length, Buffer.from(data));
    },
    close: () => bus.close(),
  };
}
