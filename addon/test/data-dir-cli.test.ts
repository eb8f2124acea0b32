import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userDataDir } from '../src/options-source';
import { CLI, ensureBuilt } from './support/addon-process';

/**
 * Where `sps run` keeps its store outside the Supervisor: a per-user folder (XDG), created
 * readable by its owner only, never `./data` in whatever folder it was started from.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-data-dir-cli-'));

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the default data folder outside the Supervisor', () => {
  it('is $XDG_DATA_HOME/smart-power-station, else ~/.local/share/smart-power-station', () => {
    expect(userDataDir({ XDG_DATA_HOME: '/srv/xdg', HOME: '/home/u' })).toBe('/srv/xdg/smart-power-station');
    expect(userDataDir({ HOME: '/home/u' })).toBe('/home/u/.local/share/smart-power-station');
    // The XDG rules say a relative XDG_DATA_HOME is ignored.
    expect(userDataDir({ XDG_DATA_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.local/share/smart-power-station');
  });

  it('sps run stores there (0700), not in ./data of the folder it starts in', async () => {
    const cwd = path.join(tmp, 'somewhere');
    const xdg = path.join(tmp, 'xdg');
    mkdirSync(cwd);
    const options = path.join(tmp, 'options.yaml');
    writeFileSync(options, 'devices: []\n');
    const { SUPERVISOR_TOKEN: _ignored, ...env } = process.env;
    const child = spawn(process.execPath, [CLI, 'run', '--config', options, '--port', '0'], {
      cwd,
      env: { ...env, XDG_DATA_HOME: xdg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (/listening on http/.test(output)) resolve();
        });
        void exited.then(() => reject(new Error(`sps run exited:\n${output}`)));
      });
      const dataDir = path.join(xdg, 'smart-power-station');
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(readdirSync(dataDir).length).toBeGreaterThan(0);
      expect(existsSync(path.join(cwd, 'data'))).toBe(false);
      // At once, on purpose: the startup line used to come before the signal handlers, and a SIGTERM sent
      // as soon as it was read killed the process outright (exit by signal, no clean stop).
      child.kill('SIGTERM');
      const code = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
