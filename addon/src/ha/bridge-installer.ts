import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logger.js';

export const BRIDGE_DOMAIN = 'smart_power_station';

/**
 * Where HA's config folder appears inside the add-on container: current Supervisors map
 * `homeassistant_config` at /homeassistant (and put the add-on's own config at /config);
 * older ones mapped HA's config at /config. (HA developer docs, add-on configuration, `map`.)
 */
export const SUPERVISOR_HA_CONFIG_DIRS: readonly string[] = ['/homeassistant', '/config'];

/** The bridge the add-on ships: <install dir>/integration-bridge/custom_components/smart_power_station. */
export const BUNDLED_BRIDGE_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'integration-bridge',
  'custom_components',
  BRIDGE_DOMAIN,
);

/** The Lovelace cards' bundle (lovelace/, built by `pnpm build`); the bridge serves it from its frontend/ folder. */
export const CARDS_BUNDLE_NAME = 'smart-power-station-cards.js';
export const BUNDLED_CARDS_PATH = path.resolve(__dirname, '..', '..', '..', 'lovelace', 'dist', CARDS_BUNDLE_NAME);

const Manifest = z.object({ domain: z.literal(BRIDGE_DOMAIN), version: z.string().min(1) });

export type BridgeInstallResult =
  | {
      readonly action: 'installed' | 'updated';
      readonly version: string;
      readonly path: string;
      readonly from?: string;
    }
  | { readonly action: 'up_to_date'; readonly version: string; readonly path: string }
  | { readonly action: 'newer_present'; readonly version: string; readonly path: string }
  | { readonly action: 'no_config_dir' }
  | { readonly action: 'failed'; readonly reason: string };

export interface BridgeInstallOptions {
  /** Candidate HA config folders, first match wins (tests pass temp dirs). */
  readonly configDirs: readonly string[];
  readonly bundledDir?: string;
  /** The cards' bundle copied into the bridge's frontend/ folder; default BUNDLED_CARDS_PATH. */
  readonly cardsBundle?: string;
  readonly logger: Logger;
}

/** HA's config folder has configuration.yaml and/or .storage; the add-on's own /config has neither. */
export function findHaConfigDir(candidates: readonly string[]): string | undefined {
  return candidates.find(
    (dir) => existsSync(path.join(dir, 'configuration.yaml')) || isDirectory(path.join(dir, '.storage')),
  );
}

/**
 * Copy the bundled bridge into <HA config>/custom_components when it is missing or older
 * (manifest.json versions). A newer copy (e.g. from HACS) is left alone. The copy goes to a
 * temporary folder first and is renamed into place, so HA never loads a half-written bridge.
 */
export function installBridge(options: BridgeInstallOptions): BridgeInstallResult {
  const log = options.logger.child({ component: 'bridge-install' });
  const bundledDir = options.bundledDir ?? BUNDLED_BRIDGE_DIR;
  const cardsBundle = options.cardsBundle ?? BUNDLED_CARDS_PATH;
  const configDir = findHaConfigDir(options.configDirs);
  if (!configDir) {
    log.debug({ candidates: options.configDirs }, "HA's config folder is not mapped; not installing the bridge");
    return { action: 'no_config_dir' };
  }
  try {
    const bundled = readManifest(bundledDir);
    if (!bundled) return { action: 'failed', reason: `no valid manifest.json in the bundled bridge at ${bundledDir}` };
    const target = path.join(configDir, 'custom_components', BRIDGE_DOMAIN);
    const present = existsSync(target) ? readManifest(target) : undefined;
    if (present) {
      const order = compareVersions(present.version, bundled.version);
      if (order === 0) {
        // Same bridge, maybe newer cards (the bundle has no version of its own).
        if (syncCards(cardsBundle, target)) log.info({ path: target }, 'Lovelace cards updated in the bridge');
        log.debug({ version: present.version, path: target }, 'the bridge is up to date');
        return { action: 'up_to_date', version: present.version, path: target };
      }
      if (order > 0) {
        log.info({ installed: present.version, bundled: bundled.version }, 'a newer bridge is installed; keeping it');
        return { action: 'newer_present', version: present.version, path: target };
      }
    }
    const staging = path.join(configDir, 'custom_components', `.${BRIDGE_DOMAIN}.installing`);
    rmSync(staging, { recursive: true, force: true });
    cpSync(bundledDir, staging, { recursive: true, filter: (src) => path.basename(src) !== '__pycache__' });
    syncCards(cardsBundle, staging);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    const action = present ? 'updated' : 'installed';
    log.info(
      { version: bundled.version, path: target, ...(present ? { from: present.version } : {}) },
      `bridge ${action}; Home Assistant must restart once to load it`,
    );
    return { action, version: bundled.version, path: target, ...(present ? { from: present.version } : {}) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ reason }, 'cannot install the bridge into Home Assistant');
    return { action: 'failed', reason };
  }
}

/**
 * Copy the cards' bundle into `<bridge>/frontend/` when it differs from what is there; true when
 * it copied. Written beside and renamed, so HA never serves half a file. No bundle (a checkout
 * without `pnpm build`): nothing to copy, and the bridge logs that the cards are missing.
 */
function syncCards(bundle: string, bridgeDir: string): boolean {
  if (!existsSync(bundle)) return false;
  const target = path.join(bridgeDir, 'frontend', CARDS_BUNDLE_NAME);
  const fresh = readFileSync(bundle);
  if (existsSync(target) && readFileSync(target).equals(fresh)) return false;
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  copyFileSync(bundle, partial);
  renameSync(partial, target);
  return true;
}

/** The persistent notification HA shows after a copy (installed or updated). */
export function restartNotification(result: BridgeInstallResult): { title: string; message: string } | undefined {
  if (result.action !== 'installed' && result.action !== 'updated') return undefined;
  const what =
    result.action === 'installed'
      ? `installed the Smart Power Station integration (version ${result.version})`
      : `updated the Smart Power Station integration from ${result.from ?? 'an older version'} to ${result.version}`;
  return {
    title: 'Smart Power Station: restart Home Assistant',
    message:
      `The Smart Power Station add-on ${what} in custom_components. ` +
      'Restart Home Assistant once (Settings → System → Restart) to load it, then add it under ' +
      'Settings → Devices & services (offered under Discovered, or Add integration → Smart Power Station); ' +
      'your devices appear there.',
  };
}

function readManifest(dir: string): z.infer<typeof Manifest> | undefined {
  try {
    const parsed = Manifest.safeParse(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Order of two integration versions (what HA's manifest uses: `1.2.3`, maybe `1.2.3b1`).
 * Numeric dot parts compare as numbers; a pre-release suffix sorts before the release.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): { parts: number[]; pre: string } => {
    const match = /^v?(\d+(?:\.\d+)*)(.*)$/.exec(v.trim());
    if (!match) return { parts: [], pre: v };
    return { parts: (match[1] ?? '').split('.').map(Number), pre: (match[2] ?? '').replace(/^[-.+]/, '') };
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.parts.length, pb.parts.length); i++) {
    const d = (pa.parts[i] ?? 0) - (pb.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === '') return 1;
  if (pb.pre === '') return -1;
  return pa.pre < pb.pre ? -1 : 1;
}
