import { DeviceError } from '@sps/core';
import { z } from 'zod';
import { i2cError, type I2cBus } from './i2c-bus.js';

/**
 * The part of the `i2c-bus` package (fivdi, MIT) this driver uses: the promise API.
 * `readI2cBlock`/`writeI2cBlock` are SMBus "I2C block" transfers: register pointer, repeated
 * start, raw bytes in wire order, so no byte swap is needed (unlike `readWord`).
 */
interface PromisifiedI2c {
  /** Opens the bus device and asks the adapter what it can do (the I2C_FUNCS ioctl). */
  i2cFuncs?(): Promise<unknown>;
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
  i2cFuncs: z.custom<NonNullable<PromisifiedI2c['i2cFuncs']>>(isFunction).optional(),
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
  // The original object, not zod's copy: the package's methods rely on `this`.
  if (direct.success) return loaded as I2cBusModule;
  if (typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    const wrapped = moduleShape.safeParse(loaded.default);
    if (wrapped.success) return loaded.default as I2cBusModule;
  }
  return null;
}

/** The part of i2c-bus's I2cFuncs this driver depends on. */
const funcsShape = z.object({ smbusReadI2cBlock: z.boolean(), smbusWriteI2cBlock: z.boolean() });

/**
 * Opens /dev/i2c-<busNumber> through `i2c-bus`. A missing or unbuildable package is reported
 * as `unsupported` with what to do, never as a crash at start-up. `i2c-bus` opens the device
 * file only on the first transfer, so the adapter's functions are asked for here: a bus that does
 * not exist (not mapped into the add-on) or may not be used is refused now, by name, and so is an
 * adapter without the SMBus I2C-block transfers the driver uses.
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
  const opened: unknown = await module.openPromisified(busNumber);
  if (!busShape.safeParse(opened).success) {
    throw new DeviceError('unsupported', `${name}: "i2c-bus" returned an unexpected bus object`);
  }
  // Checked above; the object itself is used because its methods read their own fields through `this`.
  const bus = opened as PromisifiedI2c;
  if (bus.i2cFuncs !== undefined) await checkFunctions(name, bus);
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

async function checkFunctions(name: string, bus: PromisifiedI2c): Promise<void> {
  let funcs: unknown;
  try {
    funcs = await bus.i2cFuncs?.();
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw i2cError(err, name);
  }
  const parsed = funcsShape.safeParse(funcs);
  if (parsed.success && parsed.data.smbusReadI2cBlock && parsed.data.smbusWriteI2cBlock) return;
  await bus.close().catch(() => undefined);
  throw new DeviceError('unsupported', `${name}: the I2C adapter does not offer SMBus I2C-block reads and writes`);
}
