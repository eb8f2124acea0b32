/**
 * One BLE link to one station, reduced to what the Bluetti protocol needs: connect (find the
 * station, open GATT, subscribe to FF01), write to FF02, receive FF01 notifications, and hear
 * about the link dropping. Implementations: BlueZ over D-Bus (the default inside Home
 * Assistant), noble (standalone installs), in-memory (tests) and the loopback TCP GATT tunnel
 * (simulator in another process). Every failure is a DeviceError.
 */
export interface BleLinkInfo {
  /** The station's GAP/advertised name (`AC1802524610159690`), when the transport learns it. */
  readonly name: string | null;
}

export type NotificationListener = (chunk: Uint8Array) => void;
export type DisconnectListener = (reason: string) => void;

export interface BleTransport {
  /** For messages: `BlueZ AA:BB:…`, `tunnel 127.0.0.1:4567`. */
  readonly label: string;
  readonly connected: boolean;
  /** Find the station, connect, resolve FF00/FF01/FF02 and enable notifications on FF01. */
  connect(): Promise<BleLinkInfo>;
  /** Write one request to FF02. */
  write(data: Uint8Array): Promise<void>;
  /** Tear the link down; safe to call when not connected. */
  disconnect(): Promise<void>;
  onNotification(listener: NotificationListener): () => void;
  /** Called once per link when the station (or the stack) drops it — not after disconnect(). */
  onDisconnect(listener: DisconnectListener): () => void;
}

/** Listener bookkeeping shared by the transports. */
export class TransportListeners {
  private readonly notification = new Set<NotificationListener>();
  private readonly disconnect = new Set<DisconnectListener>();

  onNotification(listener: NotificationListener): () => void {
    this.notification.add(listener);
    return () => this.notification.delete(listener);
  }

  onDisconnect(listener: DisconnectListener): () => void {
    this.disconnect.add(listener);
    return () => this.disconnect.delete(listener);
  }

  notify(chunk: Uint8Array): void {
    for (const l of [...this.notification]) l(chunk);
  }

  disconnected(reason: string): void {
    for (const l of [...this.disconnect]) l(reason);
  }
}
