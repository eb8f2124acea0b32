import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../src/cli/command';
import { haTargetFromFlags } from '../src/cli/ha-flags';

describe('which Home Assistant `sps run`/`sps demo` connect to', () => {
  const token = 'a-long-lived-token';

  it('takes --ha-url/--ha-token, else HA_URL/HA_TOKEN, and turns an http URL into the websocket endpoint', () => {
    expect(haTargetFromFlags({ 'ha-url': 'ws://127.0.0.1:8123/api/websocket', 'ha-token': token }, {})).toEqual({
      url: 'ws://127.0.0.1:8123/api/websocket',
      token,
      viaSupervisor: false,
    });
    expect(haTargetFromFlags({}, { HA_URL: 'http://ha.local:8123', HA_TOKEN: token })).toEqual({
      url: 'ws://ha.local:8123/api/websocket',
      token,
      viaSupervisor: false,
    });
  });

  it('uses the Supervisor proxy when SUPERVISOR_TOKEN is set and nothing else is given', () => {
    expect(haTargetFromFlags({}, { SUPERVISOR_TOKEN: 'sup' })).toEqual({
      url: 'ws://supervisor/core/websocket',
      token: 'sup',
      viaSupervisor: true,
    });
  });

  it('runs without HA when nothing is given', () => {
    expect(haTargetFromFlags({}, { HA_URL: ' ' })).toBeUndefined();
  });

  it('refuses half a configuration or a bad URL with a one-line error naming the flag', () => {
    expect(() => haTargetFromFlags({ 'ha-url': 'ws://h:8123' }, {})).toThrow(
      new CliError('--ha-token-file: required with --ha-url (or set SPS_HA_TOKEN)'),
    );
    expect(() => haTargetFromFlags({}, { HA_TOKEN: token })).toThrow(/^--ha-url: required/);
    expect(() => haTargetFromFlags({ 'ha-url': 'ftp://h', 'ha-token': token }, {})).toThrow(
      /--ha-url must be an http\(s\) or ws\(s\) URL/,
    );
    try {
      haTargetFromFlags({ 'ha-url': 'ws://h' }, {});
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });

  describe('the token off the command line (ps shows every argument)', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-ha-flags-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const url = 'ws://127.0.0.1:8123/api/websocket';

    it('reads --ha-token-file (first line, trimmed) without a warning when only its owner can read it', () => {
      const file = path.join(tmp, 'token');
      writeFileSync(file, `  ${token}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
      const warnings: string[] = [];
      expect(haTargetFromFlags({ 'ha-url': url, 'ha-token-file': file }, {}, (w) => warnings.push(w))).toMatchObject({
        token,
      });
      expect(warnings).toEqual([]);
    });

    it('warns when the token file is readable by others, and names the flag when it cannot be read', () => {
      const file = path.join(tmp, 'open-token');
      writeFileSync(file, token);
      chmodSync(file, 0o644);
      const warnings: string[] = [];
      haTargetFromFlags({ 'ha-url': url, 'ha-token-file': file }, {}, (w) => warnings.push(w));
      expect(warnings).toEqual([expect.stringMatching(/can be read by other users; chmod 600/)]);
      expect(() => haTargetFromFlags({ 'ha-url': url, 'ha-token-file': path.join(tmp, 'none') }, {})).toThrow(
        /^--ha-token-file: cannot read .*\(ENOENT\)$/,
      );
    });

    it('takes SPS_HA_TOKEN from the environment', () => {
      expect(haTargetFromFlags({ 'ha-url': url }, { SPS_HA_TOKEN: token })).toMatchObject({ token });
    });

    it('still takes --ha-token, with a warning that ps shows it', () => {
      const warnings: string[] = [];
      expect(haTargetFromFlags({ 'ha-url': url, 'ha-token': token }, {}, (w) => warnings.push(w))).toMatchObject({
        token,
      });
      expect(warnings).toEqual([
        expect.stringMatching(/--ha-token is visible .*\(ps\).*--ha-token-file.*SPS_HA_TOKEN/),
      ]);
    });
  });
});
