import {
  BluettiAdapter,
  BluettiSimulator,
  BLUETTI_POLLING,
  DEFAULT_SIMULATOR_ADDRESS,
  MAC_ADDRESS_PATTERN,
  SUPPORTED_MODEL_NAMES,
} from '@sps/device-bluetti';
import { z } from 'zod';
import { defineDriver } from '../driver-types.js';
import { expecting, hostName, intBetween, oneOf, tcpPort } from '../zod-fields.js';

/**
 * The device fields of a Bluetti entry (flat: HA's add-on schema cannot nest). `bluez` is the
 * default because inside Home Assistant BlueZ owns the adapter and shares it over D-Bus
 * (config.yaml: host_dbus); `noble` takes a raw adapter (standalone only); `tcp-sim` reaches
 * `sps simulate bluetti` through the loopback GATT tunnel. The adapter's own schema checks again.
 */
const bluettiFields = z
  .strictObject({
    address: z
      .string({ error: expecting('expected a Bluetooth MAC address like AA:BB:CC:DD:EE:FF') })
      .trim()
      .regex(MAC_ADDRESS_PATTERN, { error: 'expected a Bluetooth MAC address like AA:BB:CC:DD:EE:FF' })
      .optional()
      .describe("the station's Bluetooth address (required except with tcp-sim)"),
    transport: oneOf(['bluez', 'noble', 'tcp-sim'])
      .default('bluez')
      .describe('bluez: through BlueZ (D-Bus); noble: a raw adapter; tcp-sim: `sps simulate bluetti` at host:port'),
    host: hostName.optional().describe("the simulator's address (transport tcp-sim only)"),
    port: tcpPort.optional().describe("the simulator's port (transport tcp-sim only)"),
    model: oneOf(SUPPORTED_MODEL_NAMES as [string, ...string[]])
      .optional()
      .describe('the model, only if detection fails'),
    adapter: z
      .string({ error: expecting('expected a Bluetooth adapter name like hci0') })
      .regex(/^hci\d{1,2}$/, { error: 'expected a Bluetooth adapter name like hci0' })
      .optional()
      .describe("the Bluetooth adapter, e.g. hci1 (default: the system's)"),
    timeout_ms: intBetween(200, 60_000).optional().describe('how long one request may take, ms'),
  })
  .superRefine((fields, ctx) => {
    if (fields.transport === 'tcp-sim') {
      if (fields.host === undefined)
        ctx.addIssue({ code: 'custom', path: ['host'], message: 'is required for transport tcp-sim' });
      if (fields.port === undefined)
        ctx.addIssue({ code: 'custom', path: ['port'], message: 'is required for transport tcp-sim' });
    } else if (fields.address === undefined) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: `is required for transport ${fields.transport}` });
    }
  });

type BluettiFields = z.output<typeof bluettiFields>;

export const bluettiDriver = defineDriver<BluettiFields>({
  name: 'bluetti',
  title: 'Bluetti power station (Bluetooth LE)',
  fields: bluettiFields,
  // A poll is a few BLE round trips; polling faster than every 5 s only crowds the radio.
  pollIntervals: () => ({ defaultMs: BLUETTI_POLLING.defaultMs, minMs: BLUETTI_POLLING.minMs }),
  create: (id, fields, { clock }) => new BluettiAdapter({ id, connection: fields, clock }),
  createSimulator: ({ realTime }) => {
    // The physics advances on the system clock whenever the station is asked; realTime needs no ticker.
    const simulator = new BluettiSimulator(
      realTime ? { initial: { socPct: 60, gridConnected: true, pvAvailableW: 150, acOutputOn: true } } : {},
    );
    return {
      start: (address) => simulator.start(address),
      stop: () => simulator.stop(),
      snapshot: () => ({ model: simulator.model.name, address: simulator.address, ...simulator.state }),
    };
  },
  simulatorFields: ({ host, port }) => ({ transport: 'tcp-sim', host, port, address: DEFAULT_SIMULATOR_ADDRESS }),
  exampleFields: { address: 'AA:BB:CC:DD:EE:FF' },
  exampleCommand: 'set_relay --on false',
});
