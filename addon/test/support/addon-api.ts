import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SpsProcess } from './addon-process';

/** GET /api/readings, as the process tests read it. */
export interface ReadingsBody {
  devices: Record<string, { available: boolean; readings: Record<string, { value: unknown; unit: string | null }> }>;
}

/** GET /api/devices, as the process tests read it. */
export interface DevicesBody {
  devices: {
    id: string;
    availability: { available: boolean; reason: string | null };
    info: { model: string } | null;
  }[];
}

/**
 * `sps run` as a child process on the options given as YAML lines (written to `dir`/options.yaml,
 * data in `dir`/data, HTTP on a free port); resolves once it serves, with its base URL.
 */
export async function startAddon(
  dir: string,
  options: readonly string[],
): Promise<{ addon: SpsProcess; base: string }> {
  const optionsFile = path.join(dir, 'options.yaml');
  writeFileSync(optionsFile, options.join('\n'));
  const addon = new SpsProcess(['run', '--config', optionsFile, '--data-dir', path.join(dir, 'data'), '--port', '0']);
  return { addon, base: await addon.url() };
}

/** GET `url` and parse its JSON body. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  return (await response.json()) as T;
}
