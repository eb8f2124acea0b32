import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '@sps/core';
import { ReadingStore } from '@sps/store';
import { STORE_FILE } from '../open-archive.js';

/** Days of history the demo writes: just inside the store's 10-day raw retention. */
export const DEMO_HISTORY_DAYS = 9;
const STEP_MS = 5 * 60_000;

/**
 * A fresh demo has no past, so a demand-response baseline (which averages like days from the
 * store) would have nothing to average and no avoided energy could be counted. The demo writes
 * `DEMO_HISTORY_DAYS` of a simulated grid import for the station (what its P1 charger draws: a
 * daily shape around 0.45 kW, higher in the evening) before the add-on opens the store; the demo's
 * banner says so. Only into a fresh demo store, never a user's.
 */
export function seedDemoGridHistory(dataDir: string, deviceId: string, clock: Clock): number {
  const file = path.join(dataDir, STORE_FILE);
  // A kept demo folder (--data-dir) already has its history (seeded or measured): never twice.
  if (existsSync(file)) return 0;
  mkdirSync(dataDir, { recursive: true });
  const store = ReadingStore.open({ path: file, clock });
  let written = 0;
  try {
    const now = clock.now();
    const from = Math.ceil((now - DEMO_HISTORY_DAYS * 86_400_000) / STEP_MS) * STEP_MS;
    for (let t = from; t < now - STEP_MS; t += STEP_MS) {
      const hour = new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60;
      // Evening hump, a smaller morning one, and a small deterministic wobble (no randomness: reproducible).
      const shape = 0.35 + 0.25 * Math.exp(-((hour - 18.5) ** 2) / 8) + 0.1 * Math.exp(-((hour - 7.5) ** 2) / 4);
      const wobble = 0.03 * Math.sin(t / 3_600_000);
      store.append(deviceId, { timestamp: t, values: { grid_power: Math.round((shape + wobble) * 1000) } });
      written += 1;
    }
    store.flush();
  } finally {
    store.close();
  }
  return written;
}
