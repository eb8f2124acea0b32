import type { BluettiConnection } from '../connection.js';
import type { BleTransport } from './ble-transport.js';
import { BluezTransport } from './bluez-transport.js';
import { NobleTransport } from './noble-transport.js';
import { TcpTunnelTransport } from './tunnel-transport.js';

/** The transport a validated connection asks for. */
export function createBleTransport(connection: BluettiConnection): BleTransport {
  const timeoutMs = connection.timeout_ms;
  switch (connection.transport) {
    case 'bluez':
      return new BluezTransport({
        address: connection.address as string,
        timeoutMs,
        ...(connection.adapter === undefined ? {} : { adapter: connection.adapter }),
      });
    case 'noble':
      return new NobleTransport({ address: connection.address as string, timeoutMs });
    case 'tcp-sim':
      return new TcpTunnelTransport({
        host: connection.host as string,
        port: connection.port as number,
        timeoutMs,
        ...(connection.address === undefined ? {} : { address: connection.address }),
      });
  }
}
