/**
 * Issue 10 item 11 against a real Home Assistant core: the add-on (`sps run` as a child process)
 * connects with the access token of a user who is not an administrator. HA accepts the token,
 * then refuses the bridge's admin-only commands with `unauthorized`. The add-on must say once,
 * plainly, that the token must belong to an administrator (its first error line), and show it
 * in /api/health, while it keeps retrying quietly. The bridge, which the add-on's hello still reaches,
 * raises the repair issue `token_not_admin` in HA itself (the add-on's own repairs command is refused).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectToHa } from '@sps/ha';
import { SpsProcess, ensureBuilt, eventually } from '../../addon/test/support/addon-process';
import { startHass, venvAvailable, type HassInstance } from './harness/hass.cjs';

const haveVenv = venvAvailable();
if (!haveVenv && process.env['CI']) throw new Error('CI needs the HA venv: run scripts/setup.sh');
if (!haveVenv) console.warn('tests/e2e skipped: no .venv with homeassistant (run scripts/setup.sh)');
const describeE2e = haveVenv ? describe : describe.skip;

/**
 * A user in HA's "system-users" group (not an administrator) with a password, created by the
 * admin over HA's websocket API, then logged in through HA's own login flow for an access token.
 */
async function nonAdminAccessToken(hass: HassInstance): Promise<string> {
  const admin = await connectToHa({ url: hass.wsUrl, token: hass.token });
  try {
    const created = await admin.sendMessagePromise<{ user: { id: string } }>({
      type: 'config/auth/create',
      name: 'Not an admin',
      group_ids: ['system-users'],
      local_only: false,
    });
    await admin.sendMessagePromise({
      type: 'config/auth_provider/homeassistant/create',
      user_id: created.user.id,
      username: 'notadmin',
      password: 'not-admin-password',
    });
  } finally {
    admin.close();
  }
  const clientId = `${hass.baseUrl}/`;
  const post = async (route: string, body: string, type: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${hass.baseUrl}${route}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const flow = await post(
    '/auth/login_flow',
    JSON.stringify({ client_id: clientId, handler: ['homeassistant', null], redirect_uri: clientId }),
    'application/json',
  );
  const login = await post(
    `/auth/login_flow/${String(flow['flow_id'])}`,
    JSON.stringify({ client_id: clientId, username: 'notadmin', password: 'not-admin-password' }),
    'application/json',
  );
  const token = await post(
    '/auth/token',
    new URLSearchParams({
      grant_type: 'authorization_code',
      code: String(login['result']),
      client_id: clientId,
    }).toString(),
    'application/x-www-form-urlencoded',
  );
  if (typeof token['access_token'] !== 'string') throw new Error(`no access token: ${JSON.stringify(token)}`);
  return token['access_token'];
}

describeE2e('a Home Assistant token whose user is not an administrator', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-e2e-not-admin-'));
  let hass: HassInstance;
  let addon: SpsProcess;
  let base: string;

  beforeAll(async () => {
    ensureBuilt();
    // `repairs:` loads the repairs dashboard's websocket API (part of default_config in a real install).
    hass = await startHass({ extraYaml: 'repairs:' });
    const token = await nonAdminAccessToken(hass);
    const optionsFile = path.join(tmp, 'options.yaml');
    writeFileSync(optionsFile, 'log_level: info\ndevices: []\n');
    // The token through the environment, as DOCS recommends (not on the command line).
    addon = new SpsProcess(
      ['run', '--config', optionsFile, '--ha-url', hass.wsUrl, '--data-dir', path.join(tmp, 'data'), '--port', '0'],
      { SPS_HA_TOKEN: token },
    );
    base = await addon.url();
  }, 180_000);

  afterAll(async () => {
    await addon?.kill();
    await hass?.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('says once, as its first error line, that the token must belong to an administrator; health shows it', async () => {
    interface Health {
      status: string;
      problems: { id: string; message: string }[];
    }
    const health = await eventually(
      async () => {
        const body = (await (await fetch(`${base}api/health`)).json()) as Health;
        return body.problems.some((p) => p.id === 'ha_token_not_admin') ? body : undefined;
      },
      'ha_token_not_admin in /api/health',
      60_000,
    );
    expect(health.status).toBe('degraded');
    // Let the back-off retry a few times (1, 2, 4 s): the message must not repeat.
    await new Promise((r) => setTimeout(r, 8000));
    const lines = addon.stdout.split('\n');
    const errors = lines.filter((l) => / (ERROR|FATAL) /.test(l));
    expect(errors[0]).toMatch(/Unauthorized.*must belong to an administrator/);
    expect(lines.filter((l) => /must belong to an administrator/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /session setup failed/.test(l))).toEqual([]);
    expect(addon.stderr).not.toMatch(/ha-token/);
  }, 120_000);

  it('shows a repair in Home Assistant naming the user, raised by the bridge', async () => {
    interface Issue {
      domain: string;
      issue_id: string;
      translation_placeholders: Record<string, string> | null;
    }
    const admin = await connectToHa({ url: hass.wsUrl, token: hass.token });
    try {
      const issue = await eventually(
        async () => {
          const { issues } = await admin.sendMessagePromise<{ issues: Issue[] }>({ type: 'repairs/list_issues' });
          return issues.find((i) => i.domain === 'smart_power_station' && i.issue_id === 'token_not_admin');
        },
        'the token_not_admin repair in HA',
        60_000,
      );
      expect(issue.translation_placeholders?.['user']).toBeTruthy();
    } finally {
      admin.close();
    }
  }, 90_000);
});
