import { HaEntityStates, connectToHa, silentLogger, type Connection } from '@sps/ha';
import type { DriverDefinition } from '../driver-types.js';
import { CliError, EXIT_BAD_INPUT, EXIT_DEVICE_FAILED, type CliIo } from './command.js';
import { haTargetFromFlags } from './ha-flags.js';

/** Home Assistant's entities for one `sps read|write` of a driver on HA entities. */
export interface CliHaEntities {
  readonly port: HaEntityStates;
  /** HA has sent the states of every entity the device watches. */
  settled(): Promise<void>;
  close(): void;
}

/**
 * For a driver that reads HA's entities: one plain, authenticated connection to HA feeding an
 * HaEntityStates, as the add-on's link does. No bridge session is opened, so a running add-on's
 * session is left alone. Undefined for every other driver.
 */
export async function openCliHaEntities(
  driver: DriverDefinition,
  values: Record<string, string | boolean | undefined>,
  io: CliIo,
): Promise<CliHaEntities | undefined> {
  if (driver.readsHomeAssistant !== true) return undefined;
  const target = haTargetFromFlags(values, io.env, (line) => io.stderr.write(`${line}\n`));
  if (target === undefined) {
    throw new CliError(
      `--ha-url: ${driver.name} reads Home Assistant's entities; give --ha-url and a token ` +
        '(--ha-token-file FILE or env SPS_HA_TOKEN)',
      EXIT_BAD_INPUT,
    );
  }
  let conn: Connection;
  try {
    conn = await connectToHa({ url: target.url, token: target.token });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot connect to Home Assistant at ${target.url}: ${reason}`, EXIT_DEVICE_FAILED);
  }
  const states = new HaEntityStates(silentLogger);
  states.attach({
    events: {
      on: (_event, listener) => {
        listener(conn);
        return () => undefined;
      },
    },
  });
  return {
    port: states,
    settled: () => states.settled(),
    close: () => {
      states.stop();
      conn.close();
    },
  };
}
