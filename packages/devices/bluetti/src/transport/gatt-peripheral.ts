/**
 * The station side of a BLE link, as a simulator implements it. The in-memory transport and
 * the TCP GATT tunnel server both drive a peripheral through this interface.
 */
export interface GattCentralLink {
  /** Send one FF01 notification to the central. */
  notify(chunk: Uint8Array): void;
  /** The peripheral drops the link (out of range, switched off). */
  disconnect(reason: string): void;
}

export interface GattPeripheralSession {
  /** The central enabled notifications on FF01 (the encrypted firmware sends its challenge now). */
  subscribed(): void;
  /** The central wrote to FF02. */
  write(chunk: Uint8Array): void;
  /** The central went away. */
  close(): void;
}

export interface GattPeripheral {
  readonly address: string;
  readonly localName: string;
  /** A central connects. Throws a DeviceError when the station cannot be reached (vanished). */
  accept(central: GattCentralLink): GattPeripheralSession;
}
