import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brandProblems, hacsJsonProblems, hacsRepositoryVerdict, integrationManifestProblems } from './lib/hacs-rules';
import { REPO_ROOT, readRepoText, repoPath } from './lib/repo-files';

/**
 * The integration as HACS installs it (issue 15, item 6): hacs.json and manifest.json by HACS's and Home
 * Assistant's rules (lib/hacs-rules.ts), and the release files scripts/release-zips.sh builds, checked by running
 * the script into a temporary folder and reading what it wrote.
 */

const DOMAIN = 'smart_power_station';
const INTEGRATION_DIR = path.join('integration-bridge', 'custom_components', DOMAIN);
const hacs = JSON.parse(readRepoText('hacs.json')) as Record<string, unknown>;
const manifest = JSON.parse(readRepoText(INTEGRATION_DIR, 'manifest.json')) as Record<string, unknown>;

function gitFiles(...args: string[]): string[] {
  const run = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`git ls-files failed: ${run.stderr}`);
  return run.stdout.split('\0').filter((file) => file !== '');
}

/** Every file below `dir`, relative to it, with / separators. */
function walk(dir: string): string[] {
  const run = spawnSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' });
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^\.\//, ''))
    .sort();
}

/** Names and SHA-256 of a zip's entries, read with Python's zipfile (as HACS extracts it). */
function zipEntries(file: string): { names: string[]; ok: boolean } {
  const run = spawnSync(
    'python3',
    [
      '-c',
      'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip() is None); print("\\n".join(z.namelist()))',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`cannot read ${file}: ${run.stderr}`);
  const [ok, ...names] = run.stdout.trim().split('\n');
  return { ok: ok === 'True', names };
}

function releaseZips(out: string, env: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const run = spawnSync('bash', [repoPath('scripts', 'release-zips.sh'), out], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('HACS manifests', () => {
  it("hacs.json follows HACS's schema: a zip release named after the domain, a minimum Home Assistant", () => {
    expect(hacsJsonProblems(hacs)).toEqual([]);
    expect(hacs).toMatchObject({ zip_release: true, filename: `${DOMAIN}.zip`, homeassistant: '2025.4.0' });
  });

  it('manifest.json has what HACS and Home Assistant read from a custom integration', () => {
    expect(integrationManifestProblems(manifest, DOMAIN)).toEqual([]);
  });

  it('the checks fail bad manifests (they can fail)', () => {
    expect(hacsJsonProblems({ zip_release: true, colour: 'red' })).toEqual([
      "hacs.json: 'name' is required text",
      "hacs.json: 'colour' is not a HACS key",
      "hacs.json: zip_release needs a 'filename' ending in .zip",
    ]);
    expect(
      integrationManifestProblems(
        { ...manifest, domain: 'other', version: 'one', iot_class: 'local', codeowners: 'me' },
        DOMAIN,
      ),
    ).toEqual([
      'manifest.json: domain must be the folder name',
      "manifest.json: 'version' is a version such as 0.1.2",
      "manifest.json: 'codeowners' is a list",
      "manifest.json: 'iot_class' is unknown",
    ]);
  });

  it('has brand images where Home Assistant reads them, once the integration claims a quality scale', () => {
    // The brand images come with the quality-scale work (issue 15, item 4), together with quality_scale.yaml: from
    // then on (or once a brand/ folder appears) a missing icon fails here. Until that work is merged neither exists.
    const files = gitFiles();
    const claimsQualityScale = files.includes(`${INTEGRATION_DIR}/quality_scale.yaml`);
    const required = claimsQualityScale || files.some((file) => file.includes(`${DOMAIN}/brand/`));
    if (required) expect(brandProblems(files, DOMAIN)).toEqual([]);
    expect(brandProblems([`${INTEGRATION_DIR}/brand/icon.png`], DOMAIN)).toEqual([]);
    expect(brandProblems([`brands/custom_integrations/${DOMAIN}/icon.png`], DOMAIN)).toEqual([]);
  });
});

describe('where HACS installs the integration from', () => {
  it('not from this repository: HACS refuses an add-on repository without custom_components/ at the root', () => {
    // The design keeps the integration in integration-bridge/; README "Home Assistant Container or Core" says
    // what users do instead (the companion repository the release script prepares).
    expect(hacsRepositoryVerdict(gitFiles(), hacs)).toEqual({
      ok: false,
      reason: 'an add-on repository (repository.yaml, no custom_components/ at the root)',
    });
  });
});

describe('scripts/release-zips.sh', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'sps-release-'));
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it("zips the integration's files at the zip's root, as HACS unpacks into custom_components/<domain>/", () => {
    // No bundle folder: the zip is still made, and the output says the cards were left out.
    const run = releaseZips(out, { SPS_CARDS_DIST: path.join(out, 'no-cards-built') });
    expect(run.status).toBe(0);
    expect(run.output).toContain('cards: skipped (lovelace/dist does not exist');
    const zip = zipEntries(path.join(out, `${DOMAIN}.zip`));
    expect(zip.ok).toBe(true);
    // Exactly the integration's files (tracked, or new on this branch), no caches, nothing above the folder.
    const expected = gitFiles(INTEGRATION_DIR)
      .map((file) => path.relative(INTEGRATION_DIR, file))
      .filter((file) => !file.includes('__pycache__') && !file.endsWith('.pyc'))
      .sort();
    expect(zip.names).toEqual(expected);
    expect(zip.names).toContain('manifest.json');
    expect(zip.names.filter((name) => name.includes('custom_components') || name.startsWith('/'))).toEqual([]);
  });

  it('builds the same zip twice, byte for byte', () => {
    const first = readFileSync(path.join(out, `${DOMAIN}.zip`));
    expect(releaseZips(out, { SPS_CARDS_DIST: path.join(out, 'no-cards-built') }).status).toBe(0);
    expect(readFileSync(path.join(out, `${DOMAIN}.zip`)).equals(first)).toBe(true);
  });

  it('prepares a companion repository tree that HACS accepts as an integration repository', () => {
    const tree = walk(path.join(out, 'hacs-repository'));
    expect(hacsRepositoryVerdict(tree, hacs)).toEqual({ ok: true, integration: `custom_components/${DOMAIN}` });
    expect(tree).toEqual(
      expect.arrayContaining(['hacs.json', 'README.md', `custom_components/${DOMAIN}/manifest.json`]),
    );
    expect(tree.filter((file) => file.includes('__pycache__'))).toEqual([]);
  });

  it("packs the Lovelace cards' bundle once it exists, and refuses an ambiguous bundle folder", () => {
    const cards = path.join(out, 'cards-dist');
    mkdirSync(cards);
    writeFileSync(path.join(cards, 'smart-power-station.js'), 'customElements.define("x-card", class {});\n');
    const run = releaseZips(out, { SPS_CARDS_DIST: cards });
    expect(run.status).toBe(0);
    expect(run.output).toContain('smart-power-station-cards.js: from lovelace/dist/smart-power-station.js');
    expect(readFileSync(path.join(out, 'smart-power-station-cards.js'), 'utf8')).toContain('x-card');
    // Inside the integration too: it serves the cards itself.
    expect(zipEntries(path.join(out, `${DOMAIN}.zip`)).names).toContain('frontend/smart-power-station-cards.js');
    expect(walk(path.join(out, 'hacs-repository'))).toContain(
      `custom_components/${DOMAIN}/frontend/smart-power-station-cards.js`,
    );
    writeFileSync(path.join(cards, 'second.js'), '');
    const ambiguous = releaseZips(out, { SPS_CARDS_DIST: cards });
    expect(ambiguous.status).not.toBe(0);
    expect(ambiguous.output).toContain('expected one .js bundle');
  });
});
