import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OptionsError } from './options.js';

/** Where the Supervisor puts the user's options. */
export const SUPERVISOR_OPTIONS_PATH = '/data/options.json';
export const SUPERVISOR_DATA_DIR = '/data';

export interface OptionsLocation {
  /** True inside Home Assistant's Supervisor: options from /data/options.json, data in /data, ingress. */
  readonly supervised: boolean;
  readonly file: string;
  readonly dataDir: string;
}

export interface LocateOptionsInput {
  readonly env: NodeJS.ProcessEnv;
  readonly configFile?: string;
  readonly dataDir?: string;
  /** Overridable for tests; default /data/options.json. */
  readonly supervisorOptionsPath?: string;
}

/**
 * Under the Supervisor (SUPERVISOR_TOKEN set and its options file present) the
 * Supervisor's file wins; otherwise the YAML file named with `--config`.
 */
export function locateOptions(input: LocateOptionsInput): OptionsLocation {
  const supervisorFile = input.supervisorOptionsPath ?? SUPERVISOR_OPTIONS_PATH;
  if (input.env['SUPERVISOR_TOKEN'] && existsSync(supervisorFile)) {
    return { supervised: true, file: supervisorFile, dataDir: path.dirname(supervisorFile) };
  }
  if (!input.configFile) {
    throw new OptionsError('no options: pass --config FILE (outside Home Assistant) or run under the Supervisor');
  }
  const dataDir = input.dataDir === undefined ? userDataDir(input.env) : path.resolve(input.dataDir);
  return { supervised: false, file: input.configFile, dataDir };
}

/** The folder under the user's data directory that holds the store outside Home Assistant. */
export const USER_DATA_FOLDER = 'smart-power-station';

/**
 * Outside the Supervisor the store goes to a per-user folder (the XDG base-directory rule),
 * not into whatever folder `sps run` happened to start in: `$XDG_DATA_HOME/smart-power-station`,
 * else `~/.local/share/smart-power-station`. `--data-dir` overrides it.
 */
export function userDataDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_DATA_HOME'];
  // The spec ignores a relative XDG_DATA_HOME.
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, USER_DATA_FOLDER);
  const home = env['HOME'] !== undefined && path.isAbsolute(env['HOME']) ? env['HOME'] : os.homedir();
  return path.join(home, '.local', 'share', USER_DATA_FOLDER);
}

/**
 * Create the data folder readable by its owner only: it holds the readings and the add-on's
 * state. An existing folder keeps its mode (the user chose it).
 */
export function createDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Read a JSON or YAML options file (YAML is a superset of JSON). Throws OptionsError with one line. */
export function readOptionsFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    throw new OptionsError(`cannot read ${file}${code ? ` (${code})` : ''}`);
  }
  try {
    return parseYaml(text, { prettyErrors: false }) ?? {};
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new OptionsError(`${file} is not valid YAML: ${first}`);
  }
}
