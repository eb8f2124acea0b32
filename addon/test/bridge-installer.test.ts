import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BUNDLED_BRIDGE_DIR,
  compareVersions,
  findHaConfigDir,
  installBridge,
  restartNotification,
} from '../src/ha/bridge-installer';
import { silentLogger } from '../src/logger';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-bridge-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function dirs(): { bundled: string; ha: string; addonConfig: string } {
  const root = path.join(tmp, String(++n));
  const bundled = path.join(root, 'bundle', 'smart_power_station');
  mkdirSync(path.join(bundled, 'translations'), { recursive: true });
  mkdirSync(path.join(bundled, '__pycache__'), { recursive: true });
  writeFileSync(
    path.join(bundled, 'manifest.json'),
    JSON.stringify({ domain: 'smart_power_station', version: '0.2.0' }),
  );
  writeFileSync(path.join(bundled, '__init__.py'), '# bridge\n');
  writeFileSync(path.join(bundled, 'translations', 'en.json'), '{}');
  writeFileSync(path.join(bundled, '__pycache__', 'x.pyc'), 'junk');
  const ha = path.join(root, 'homeassistant');
  mkdirSync(path.join(ha, '.storage'), { recursive: true });
  writeFileSync(path.join(ha, 'configuration.yaml'), 'default_config:\n');
  // The add-on's own config folder (addon_config map) is not HA's: no configuration.yaml, no .storage.
  const addonConfig = path.join(root, 'config');
  mkdirSync(addonConfig, { recursive: true });
  return { bundled, ha, addonConfig };
}

function installed(ha: string, version: string): string {
  const target = path.join(ha, 'custom_components', 'smart_power_station');
  mkdirSync(target, { recursive: true });
  writeFileSync(path.join(target, 'manifest.json'), JSON.stringify({ domain: 'smart_power_station', version }));
  writeFileSync(path.join(target, 'stale.py'), '# from the old version\n');
  return target;
}

const logger = silentLogger();

describe('bridge installation', () => {
  it('copies the bundled bridge into custom_components when it is missing', () => {
    const { bundled, ha, addonConfig } = dirs();
    const result = installBridge({ configDirs: [addonConfig, ha], bundledDir: bundled, logger });
    const target = path.join(ha, 'custom_components', 'smart_power_station');
    expect(result).toEqual({ action: 'installed', version: '0.2.0', path: target });
    expect(readFileSync(path.join(target, '__init__.py'), 'utf8')).toBe('# bridge\n');
    expect(existsSync(path.join(target, 'translations', 'en.json'))).toBe(true);
    expect(existsSync(path.join(target, '__pycache__'))).toBe(false);
    expect(existsSync(path.join(ha, 'custom_components', '.smart_power_station.installing'))).toBe(false);
    expect(existsSync(path.join(addonConfig, 'custom_components'))).toBe(false);
    expect(restartNotification(result)?.message).toContain(
      'installed the Smart Power Station integration (version 0.2.0)',
    );
  });

  it('replaces an older copy entirely and leaves an equal or newer one alone', () => {
    const { bundled, ha } = dirs();
    const target = installed(ha, '0.1.9');
    const updated = installBridge({ configDirs: [ha], bundledDir: bundled, logger });
    expect(updated).toMatchObject({ action: 'updated', version: '0.2.0', from: '0.1.9' });
    expect(existsSync(path.join(target, 'stale.py'))).toBe(false);
    expect(restartNotification(updated)?.message).toContain('from 0.1.9 to 0.2.0');

    expect(installBridge({ configDirs: [ha], bundledDir: bundled, logger })).toMatchObject({ action: 'up_to_date' });

    installed(ha, '0.10.0'); // e.g. installed through HACS
    const newer = installBridge({ configDirs: [ha], bundledDir: bundled, logger });
    expect(newer).toMatchObject({ action: 'newer_present', version: '0.10.0' });
    expect(existsSync(path.join(target, 'stale.py'))).toBe(true);
    expect(restartNotification(newer)).toBeUndefined();
  });

  it('reinstalls over a copy whose manifest is unreadable', () => {
    const { bundled, ha } = dirs();
    const target = installed(ha, '0.1.0');
    writeFileSync(path.join(target, 'manifest.json'), '{not json');
    expect(installBridge({ configDirs: [ha], bundledDir: bundled, logger })).toMatchObject({ action: 'installed' });
    expect(JSON.parse(readFileSync(path.join(target, 'manifest.json'), 'utf8'))).toMatchObject({ version: '0.2.0' });
  });

  it('does nothing when HA’s config folder is not mapped, and reports a broken bundle', () => {
    const { bundled, ha, addonConfig } = dirs();
    expect(installBridge({ configDirs: [addonConfig, path.join(tmp, 'nope')], bundledDir: bundled, logger })).toEqual({
      action: 'no_config_dir',
    });
    expect(findHaConfigDir([path.join(tmp, 'nope'), addonConfig, ha])).toBe(ha);
    const broken = installBridge({ configDirs: [ha], bundledDir: path.join(tmp, 'missing'), logger });
    expect(broken).toMatchObject({ action: 'failed', reason: expect.stringContaining('no valid manifest.json') });
  });

  it('ships the repository’s bridge by default', () => {
    const manifest = JSON.parse(readFileSync(path.join(BUNDLED_BRIDGE_DIR, 'manifest.json'), 'utf8')) as {
      domain: string;
    };
    expect(manifest.domain).toBe('smart_power_station');
  });

  it('orders versions numerically, pre-releases before releases', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('1.0.0b1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0', '1.0.0b2')).toBe(1);
    expect(compareVersions('v2.0.0', '1.99.0')).toBe(1);
  });
});

describe('the Lovelace cards in the bridge', () => {
  it("copies the bundle into the bridge's frontend folder, and a changed bundle even when the bridge is up to date", () => {
    const { bundled, ha } = dirs();
    const cardsBundle = path.join(tmp, `cards-${n}.js`);
    writeFileSync(cardsBundle, 'export const v = 1;\n');
    const first = installBridge({ configDirs: [ha], bundledDir: bundled, cardsBundle, logger });
    expect(first.action).toBe('installed');
    const served = path.join(
      ha,
      'custom_components',
      'smart_power_station',
      'frontend',
      'smart-power-station-cards.js',
    );
    expect(readFileSync(served, 'utf8')).toBe('export const v = 1;\n');
    writeFileSync(cardsBundle, 'export const v = 2;\n');
    expect(installBridge({ configDirs: [ha], bundledDir: bundled, cardsBundle, logger }).action).toBe('up_to_date');
    expect(readFileSync(served, 'utf8')).toBe('export const v = 2;\n');
    expect(existsSync(`${served}.partial`)).toBe(false);
  });

  it('installs the bridge without cards when the bundle was not built', () => {
    const { bundled, ha } = dirs();
    const result = installBridge({
      configDirs: [ha],
      bundledDir: bundled,
      cardsBundle: path.join(tmp, 'never-built.js'),
      logger,
    });
    expect(result.action).toBe('installed');
    expect(existsSync(path.join(ha, 'custom_components', 'smart_power_station', 'frontend'))).toBe(false);
  });
});
