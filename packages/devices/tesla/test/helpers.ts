import type { Availability } from '@sps/core';
import {
  TeslemetryAdapter,
  TeslemetrySimulator,
  type SavedSettingsStore,
  type TeslemetryConnectionInput,
  type TeslemetrySimulatorOptions,
} from '@sps/device-tesla';

export interface Rig {
  readonly sim: TeslemetrySimulator;
  readonly adapter: TeslemetryAdapter;
  readonly baseUrl: string;
  readonly availability: Availability[];
}

const open: { sim: TeslemetrySimulator; adapters: TeslemetryAdapter[] }[] = [];

/** A simulator on a free loopback port and a connected adapter for it (real time; short retries). */
export async function startRig(
  options: {
    sim?: TeslemetrySimulatorOptions;
    connection?: Partial<TeslemetryConnectionInput>;
    savedSettings?: SavedSettingsStore;
    connect?: boolean;
  } = {},
): Promise<Rig> {
  const sim = new TeslemetrySimulator(options.sim);
  const port = await sim.start({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${port}`;
  const entry = { sim, adapters: [] as TeslemetryAdapter[] };
  open.push(entry);
  const adapter = newAdapter(entry, baseUrl, options.connection, options.savedSettings);
  const availability: Availability[] = [];
  adapter.events.on('availability', (a) => availability.push(a));
  if (options.connect !== false) await adapter.connect();
  return { sim, adapter, baseUrl, availability };
}

/** Another adapter on a rig's simulator (a restart of the add-on), closed with the rig. */
export function restartAdapter(rig: Rig, savedSettings?: SavedSettingsStore): TeslemetryAdapter {
  const entry = open.find((o) => o.sim === rig.sim);
  if (!entry) throw new Error('rig already closed');
  return newAdapter(entry, rig.baseUrl, {}, savedSettings);
}

function newAdapter(
  entry: { sim: TeslemetrySimulator; adapters: TeslemetryAdapter[] },
  baseUrl: string,
  connection: Partial<TeslemetryConnectionInput> = {},
  savedSettings?: SavedSettingsStore,
): TeslemetryAdapter {
  const adapter = new TeslemetryAdapter({
    id: 'powerwall',
    connection: { token: entry.sim.token, base_url: baseUrl, ...connection },
    retry: { backoffMs: 20 },
    ...(savedSettings === undefined ? {} : { savedSettings }),
  });
  entry.adapters.push(adapter);
  return adapter;
}

export async function closeAll(): Promise<void> {
  for (const { sim, adapters } of open.splice(0)) {
    for (const a of adapters) await a.close();
    await sim.stop();
  }
}

/** Poll until `check` passes or the deadline ends (no fixed sleeps). */
export async function eventually(check: () => void, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
