/**
 * The add-on's problems reach Home Assistant's repairs dashboard through the bridge, against a real HA core: the
 * add-on (`sps run` as a child process) starts on a damaged store, moves it aside, keeps running, and HA shows a
 * translated repair issue naming the moved file. The next start (with a healthy store) clears it in HA.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectToHa, type Connection } from '@sps/ha';
import { ensureBuilt, eventually, type SpsProcess } from '../../addon/test/support/addon-process';
import { describeWithHass, startAddonWithHass } from './harness/addon';
import { startHass, type HassInstance } from './harness/hass.cjs';

const describeE2e = describeWithHass(__filename);

interface RepairIssue {
  domain: string;
  issue_id: string;
  severity: string;
  translation_key: string | null;
  translation_placeholders: Record<string, string> | null;
}

describeE2e('problems as Home Assistant repair issues', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-e2e-repairs-'));
  const dataDir = path.join(tmp, 'data');
  const optionsFile = path.join(tmp, 'options.yaml');
  let hass: HassInstance;
  let observer: Connection;
  let addon: SpsProcess | undefined;

  const ourIssues = async (): Promise<RepairIssue[]> =>
    (await observer.sendMessagePromise<{ issues: RepairIssue[] }>({ type: 'repairs/list_issues' })).issues.filter(
      (issue) => issue.domain === 'smart_power_station',
    );
  const startAddon = (): SpsProcess => startAddonWithHass(hass, optionsFile, dataDir);

  beforeAll(async () => {
    ensureBuilt();
    writeFileSync(optionsFile, 'log_level: info\ndevices: []\n');
    // `repairs:` loads the repairs dashboard's websocket API (part of default_config in a real install).
    hass = await startHass({ extraYaml: 'repairs:' });
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
  }, 180_000);

  afterAll(async () => {
    observer?.close();
    await addon?.kill();
    await hass?.remove();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('shows a damaged store as a translated repair naming the moved file, and clears it after a healthy start', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'readings.sqlite'), Buffer.alloc(8192, 'not a database '));
    addon = startAddon();
    const base = await addon.url();

    const issue = await eventually(
      async () => (await ourIssues()).find((i) => i.issue_id === 'addon_store_reset'),
      'addon_store_reset in HA repairs',
      60_000,
    );
    const moved = readdirSync(dataDir).find((name) => name.startsWith('readings.sqlite.corrupt-'));
    expect(moved).toBeDefined();
    expect(issue).toMatchObject({
      severity: 'error',
      translation_key: 'store_reset',
      translation_placeholders: { path: path.join(dataDir, moved as string) },
    });
    // The add-on kept running on a fresh store and says why it is degraded.
    const health = (await (await fetch(`${base}api/health`)).json()) as { status: string; problems: { id: string }[] };
    expect(health.status).toBe('degraded');
    expect(health.problems.map((p) => p.id)).toContain('store_reset');

    // The notice lasts until a restart; the next start has a healthy store and sends a set without it.
    await addon.kill();
    addon = startAddon();
    await addon.url();
    await eventually(
      async () => ((await ourIssues()).some((i) => i.issue_id === 'addon_store_reset') ? undefined : true),
      'addon_store_reset cleared in HA',
      60_000,
    );
  }, 180_000);
});
