/**
 * The GATT layout every Bluetti station exposes (device-protocols.md §1.1): one primary
 * service FF00 with a write characteristic FF02 (requests go here) and a notify
 * characteristic FF01 (answers come back here, split into ATT-MTU-sized notifications).
 */
export const BLUETTI_SERVICE_UUID = '0000ff00-0000-1000-8000-00805f9b34fb';
export const BLUETTI_WRITE_UUID = '0000ff02-0000-1000-8000-00805f9b34fb';
export const BLUETTI_NOTIFY_UUID = '0000ff01-0000-1000-8000-00805f9b34fb';

/** The default ATT MTU is 23 bytes, which leaves 20 bytes of payload per notification. */
export const DEFAULT_NOTIFICATION_SIZE = 20;

/** `AA:BB:CC:DD:EE:FF`, the form BlueZ and the options use. */
export const MAC_ADDRESS_PATTERN = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

export function normaliseAddress(address: string): string {
  return address.trim().toUpperCase();
}
