import { DeviceError } from '@sps/core';
import { hex8 } from '../codec/word.js';

/**
 * The one thing the driver needs from an I2C bus: register-pointer reads and writes to a 7-bit
 * address. Bytes are in wire order. The Linux implementation maps these to SMBus "I2C block"
 * transfers (pointer write, repeated start, read), the in-memory one to a simulated chip.
 * Failures reject with an Error carrying the kernel's errno `code` (ENXIO/EREMOTEIO = no
 * acknowledge, EIO, ETIMEDOUT, ENOENT/EACCES when opening) so both map the same way.
 */
export interface I2cBus {
  /** Shown in messages and used as the device's serial, e.g. `/dev/i2c-1` or `memory`. */
  readonly name: string;
  readRegister(address: number, register: number, length: number): Promise<Uint8Array>;
  writeRegister(address: number, register: number, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** An Error with the errno code the Linux i2c-dev driver would give. */
export class I2cTransferError extends Error {
  override readonly name = 'I2cTransferError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Errno → DeviceError. A missing acknowledge means nothing answers at the address (unplugged,
 * wrong strapping, or the panel-side supply is off): `connection_refused`, like a closed port.
 */
export function i2cError(err: unknown, where: string): DeviceError {
  if (err instanceof DeviceError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  // Not `instanceof Error`: errors from the native module or another realm (a test sandbox) fail it.
  const detail =
    typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string'
      ? err.message
      : String(err);
  switch (code) {
    case 'ENXIO':
    case 'EREMOTEIO':
      return new DeviceError('connection_refused', `no device acknowledges ${where} (${code})`, { cause: err });
    case 'ENOENT':
      return new DeviceError(
        'connection_refused',
        `${where}: the I2C bus device does not exist (map /dev/i2c-N into the add-on) (${detail})`,
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new DeviceError('connection_refused', `${where}: no permission to use the I2C bus (${detail})`, {
        cause: err,
      });
    case 'ETIMEDOUT':
      return new DeviceError('timeout', `${where}: the bus transfer timed out (${detail})`, { cause: err });
    case 'EIO':
    case 'EAGAIN':
      return new DeviceError('connection_lost', `${where}: bus error during the transfer (${detail})`, { cause: err });
    default:
      return new DeviceError('bad_response', `${where}: ${detail}`, { cause: err });
  }
}

export function describeAddress(bus: { name: string }, address: number): string {
  return `address ${hex8(address)} on ${bus.name}`;
}
