import { DeviceError } from '@sps/core';

/**
 * One connection per station in this process. A Bluetti accepts a single BLE central, so two
 * device entries for the same station would knock each other off in turn; the second one is
 * refused with a reason instead.
 */
const holders = new Map<string, string>();

export function claimStation(key: string, holder: string): void {
  const current = holders.get(key);
  if (current !== undefined && current !== holder) {
    throw new DeviceError(
      'connection_refused',
      `station ${key} is already connected by device "${current}"; a Bluetti accepts one Bluetooth connection`,
    );
  }
  holders.set(key, holder);
}

export function releaseStation(key: string, holder: string): void {
  if (holders.get(key) === holder) holders.delete(key);
}
