import { DeviceError } from '@sps/core';
import { TransportListeners, type BleLinkInfo, type BleTransport } from './ble-transport.js';
import type { GattPeripheral, GattPeripheralSession } from './gatt-peripheral.js';

/**
 * A BLE link to a peripheral in the same process (tests, and the demo when no tunnel is
 * wanted). Notifications and disconnects are delivered on a later turn of the event loop, as
 * a radio would, never synchronously inside `write()`.
 */
export class InMemoryBleTransport implements BleTransport {
  readonly label: string;
  private readonly listeners = new TransportListeners();
  private session: GattPeripheralSession | null = null;
  /** Bumped on every connect/disconnect so deliveries from an old link are dropped. */
  private generation = 0;

  constructor(private readonly peripheral: GattPeripheral) {
    this.label = `in-memory ${peripheral.address}`;
  }

  get connected(): boolean {
    return this.session !== null;
  }

  async connect(): Promise<BleLinkInfo> {
    await this.disconnect();
    const generation = ++this.generation;
    const live = (): boolean => generation === this.generation;
    const session = this.peripheral.accept({
      notify: (chunk) => {
        const copy = Uint8Array.from(chunk);
        setImmediate(() => {
          if (live()) this.listeners.notify(copy);
        });
      },
      disconnect: (reason) => {
        setImmediate(() => {
          if (!live()) return;
          this.generation++;
          this.session = null;
          this.listeners.disconnected(reason);
        });
      },
    });
    this.session = session;
    await new Promise((resolve) => setImmediate(resolve));
    if (!live()) throw new DeviceError('connection_lost', `${this.label} dropped the link while connecting`);
    session.subscribed();
    return { name: this.peripheral.localName };
  }

  async write(data: Uint8Array): Promise<void> {
    const session = this.session;
    if (session === null) throw new DeviceError('connection_lost', `${this.label} is not connected`);
    session.write(Uint8Array.from(data));
    await Promise.resolve();
  }

  async disconnect(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.generation++;
    session?.close();
    await Promise.resolve();
  }

  onNotification(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onNotification(listener);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }
}
