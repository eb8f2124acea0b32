import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lintAddonConfig } from './lib/addon-linter';
import { isUrl } from './lib/python-values';
import { REPO_ROOT, readRepoText, readRepoYaml, repoPath } from './lib/repo-files';

/**
 * The repository as the Supervisor's add-on store reads it after a user adds its URL (home-assistant/supervisor,
 * 2026-08 snapshot: supervisor/store/data.py, store/validate.py, apps/model.py, apps/build.py, utils/common.py;
 * the same rules hold in 2025.04.0):
 *
 * - the repository needs one `repository.{yaml,yml,json}` (name required, url and maintainer optional; the first
 *   one `**\/repository.*` finds is taken);
 * - add-ons are found by `path.glob("**\/config.*")` below the repository root — `**` includes the root itself —
 *   skipping any path with a part that starts with "." or is `rootfs`; each one's folder is the add-on's folder;
 * - from that folder the store reads icon.png, logo.png, CHANGELOG.md, DOCS.md, README.md, apparmor.txt and
 *   translations/*.yaml, builds Dockerfile (or Dockerfile.<arch>) when there is no `image`, and takes the first
 *   `**\/build.{yaml,yml,json}` below it as the (deprecated) build configuration.
 */

const CONFIG_SUFFIXES = ['.yaml', '.yml', '.json'];
const manifest = readRepoYaml('config.yaml') as Record<string, unknown>;

/** The files a clone of the repository has: tracked ones, and new ones not ignored (this branch's work). */
function repositoryFiles(): string[] {
  const run = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`git ls-files failed: ${run.stderr}`);
  return run.stdout.split('\0').filter((file) => file !== '');
}

/** Files the store loader's glob `**\/<stem>.*` keeps: a configuration suffix, no hidden or rootfs folder. */
function storeGlob(files: string[], stem: string): string[] {
  return files.filter((file) => {
    const parts = file.split('/');
    const name = parts[parts.length - 1] ?? '';
    const ext = path.extname(name);
    return (
      name === `${stem}${ext}` &&
      CONFIG_SUFFIXES.includes(ext) &&
      !parts.some((part) => part.startsWith('.') || part === 'rootfs')
    );
  });
}

const CHROMIUM = '/usr/bin/chromium';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const data = readFileSync(path.isAbsolute(file) ? file : repoPath(file));
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(data.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe('the repository as an add-on store repository', () => {
  const files = repositoryFiles();

  it('has a repository.yaml the store accepts: a name, a valid url, a maintainer, nothing else', () => {
    expect(storeGlob(files, 'repository')).toEqual(['repository.yaml']);
    const repository = readRepoYaml('repository.yaml') as Record<string, unknown>;
    expect(Object.keys(repository).sort()).toEqual(['maintainer', 'name', 'url']);
    expect(typeof repository['name']).toBe('string');
    expect(typeof repository['maintainer']).toBe('string');
    expect(isUrl(repository['url'])).toBe(true);
    expect(repository['url']).toBe(manifest['url']);
  });

  it('has the add-on at its root: the loader finds exactly ./config.yaml', () => {
    expect(storeGlob(files, 'config')).toEqual(['config.yaml']);
  });

  it('has no file the loader would misread below the add-on folder (the repository root)', () => {
    // A build.json anywhere would become the add-on's build configuration.
    expect(storeGlob(files, 'build')).toEqual([]);
    // A Dockerfile.<arch> would replace the Dockerfile for that machine.
    expect(files.filter((file) => /^Dockerfile\.(amd64|aarch64)$/.test(file))).toEqual([]);
  });

  it('shows an icon (128×128) and a logo (250×100), rendered from SVG sources in assets/', () => {
    expect(pngSize('icon.png')).toEqual({ width: 128, height: 128 });
    expect(pngSize('logo.png')).toEqual({ width: 250, height: 100 });
    expect(readRepoText('assets', 'icon.svg')).toContain('viewBox="0 0 128 128"');
    expect(readRepoText('assets', 'logo.svg')).toContain('viewBox="0 0 250 100"');
    expect(readRepoText('scripts', 'render-brand.mjs')).toContain("target: 'icon.png', width: 128, height: 128");
  });

  it('renders the icon and the logo again from their SVG sources with scripts/render-brand.mjs', () => {
    // Chromium comes with the setup command (as for the web panel's test); without it this check is skipped.
    if (!existsSync(CHROMIUM)) {
      if (process.env['CI']) throw new Error(`CI needs ${CHROMIUM}: run scripts/setup.sh`);
      console.warn(`render-brand check skipped: ${CHROMIUM} is missing`);
      return;
    }
    const out = mkdtempSync(path.join(os.tmpdir(), 'sps-brand-'));
    try {
      const run = spawnSync(process.execPath, [repoPath('scripts', 'render-brand.mjs')], {
        env: { ...process.env, SPS_BRAND_OUT: out },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(pngSize(path.join(out, 'icon.png'))).toEqual({ width: 128, height: 128 });
      expect(pngSize(path.join(out, 'logo.png'))).toEqual({ width: 250, height: 100 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('has a CHANGELOG.md that renders in the store: markdown headings per version, no relative links or HTML', () => {
    const changelog = readRepoText('CHANGELOG.md');
    expect(changelog.startsWith('# Changelog\n')).toBe(true);
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\]$/gm)].map((match) => match[1]);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(version).toMatch(/^(Unreleased|\d+\.\d+\.\d+)$/);
    // The store shows the text without the repository around it: a relative link would lead nowhere.
    const links = [...changelog.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1] ?? '');
    expect(links.filter((link) => !/^https?:\/\//.test(link))).toEqual([]);
    // Raw HTML outside code spans (`sps read <driver>` is text) is left out of the store's markdown.
    expect(changelog.replace(/`[^`\n]*`/g, '')).not.toMatch(/<[a-z][^>]*>/i);
  });

  it('has translations in the shape the store reads: configuration entries with a name and a description', () => {
    const translations = readRepoYaml('translations', 'en.yaml') as Record<string, unknown>;
    // SCHEMA_APP_TRANSLATIONS knows `configuration` and `network`; anything else is dropped.
    expect(Object.keys(translations).filter((key) => !['configuration', 'network'].includes(key))).toEqual([]);
    expect(files.filter((file) => file.startsWith('translations/'))).toEqual(['translations/en.yaml']);
  });

  it('names a prebuilt image the Supervisors accept, per architecture', () => {
    const image = String(manifest['image']);
    expect(image).toBe('ghcr.io/smart-power-station/{arch}-addon-smart-power-station');
    // supervisor/validate.py docker_image (2025.04.0); the current one splits the registry off and checks each
    // path component against the same pattern; `{arch}` is filled in with str.format(arch=…).
    expect(image).toMatch(
      /^([a-z0-9][a-z0-9.-]*(:[0-9]+)?\/)*?([a-z0-9{][a-z0-9._{}-]*\/)*?([a-z0-9{][a-z0-9._{}-]*)$/,
    );
    for (const component of image.split('/').slice(1)) expect(component).toMatch(/^[a-z0-9{][a-z0-9._{}-]*$/);
    // The owner is the repository's.
    expect(String(manifest['url'])).toBe('https://github.com/smart-power-station/smart-power-station');
  });
});

describe("config.yaml and the add-on linter's rules", () => {
  it('passes: no key at its default, no unknown or obsolete key', () => {
    expect(lintAddonConfig(manifest)).toEqual([]);
  });

  it('fails a config with keys at their defaults and obsolete keys (the check can fail)', () => {
    const findings = lintAddonConfig({
      ...manifest,
      boot: 'auto',
      startup: 'application',
      ingress_port: 8099,
      watchdog: 'http://[HOST]:[PORT:8099]/api/health',
      map: ['config:rw'],
      colour: 'blue',
    });
    expect(findings).toEqual([
      "'boot' should be removed, it uses a default value",
      "'startup' should be removed, it uses a default value",
      "'ingress_port' should be removed, it uses a default value",
      "'colour' is not a known key",
      "'watchdog' is obsolete, use the Docker HEALTHCHECK directive",
      "'map' uses 'config', replaced by 'homeassistant_config'",
    ]);
  });
});
