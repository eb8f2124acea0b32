import type { CanFrame } from './frame.js';

/**
 * One open connection to one CAN bus (can0 …), whatever carries it: a SocketCAN socket, a
 * socketcand gateway over TCP, a candump log being replayed, or a virtual bus in memory.
 *
 * Contract every implementation keeps:
 * - `open()` rejects only with a DeviceError (@sps/core) naming what failed; opening an open bus is a no-op;
 *   a closed bus may be opened again.
 * - `send()` rejects with a DeviceError (`not_connected` before open / after close or loss, `rejected` for
 *   a frame classic CAN cannot carry, `unsupported` on a read-only replay).
 * - Frame listeners get every frame other stations put on the bus (not the bus's own sends, as SocketCAN
 *   without recv_own_msgs), in bus order. A listener that throws does not stop the others.
 * - `onDown` fires once per loss of an open link (gateway closed the TCP connection, interface went away,
 *   replay ended) with a reason for people; after it `isOpen` is false. `close()` does not fire it.
 * - Both `on…` calls return the function that removes the listener.
 */
export interface CanBus {
  /** For reasons and logs, e.g. "socketcand 127.0.0.1:29536 can0". */
  readonly label: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  send(frame: CanFrame): Promise<void>;
  onFrame(listener: (frame: CanFrame) => void): () => void;
  onDown(listener: (reason: string) => void): () => void;
  close(): Promise<void>;
}
