import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { FakeHa } from '../../packages/ha/test/fakeHa';
import { builtInDrivers } from '../src/drivers';
import { TOKEN_NOT_ADMIN_PROBLEM } from '../src/ha/ha-link';
import { createLogger } from '../src/logger';
import { parseOptions } from '../src/options';
import { MemoryStateStore } from '../src/state-store';
import { AddonRuntime } from '../src/runtime';
import { eventually } from './support/addon-process';

/**
 * Issue 10 item 11: a token whose user is not an administrator authenticates, then HA refuses
 * the bridge's admin-only commands with `unauthorized`. Against the loopback FakeHa answering
 * exactly as HA 2025.4 does (`{code: 'unauthorized', message: 'Unauthorized'}`), not the real
 * HA core: the add-on must say so once, plainly, and show it in /api/health.
 */
describe('a Home Assistant token without admin rights', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-not-admin-'));
  const ha = new FakeHa({ nonAdmin: true });
  const log = new PassThrough();
  let logText = '';
  log.setEncoding('utf8').on('data', (d: string) => (logText += d));
  let runtime: AddonRuntime;

  interface Health {
    status: string;
    problems: { id: string; severity: string; message: string }[];
  }
  const health = async (): Promise<Health> => (await (await fetch(`${runtime.url}api/health`)).json()) as Health;

  beforeAll(async () => {
    const url = await ha.start();
    runtime = await AddonRuntime.start({
      config: parseOptions({}, builtInDrivers),
      dataDir: tmp,
      supervised: false,
      drivers: builtInDrivers,
      logger: createLogger('debug', log),
      httpPort: 0,
      stateStore: new MemoryStateStore(),
      archive: {
        append: () => undefined,
        flush: () => undefined,
        close: () => undefined,
        history: () => ({ resolution: 'raw', points: [] }),
      },
      ha: { url, token: 'test-token-123', viaSupervisor: false },
      haClient: { reconnectInitialMs: 10, reconnectMaxMs: 20 },
    });
  });

  afterAll(async () => {
    await runtime.stop();
    await ha.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('says once, as the first error line, that the token must belong to an administrator, and health shows it', async () => {
    // Several refused sessions: the back-off keeps trying.
    await eventually(async () => (ha.connectionCount >= 5 ? true : undefined), 'five refused sessions');
    const body = await eventually(async () => {
      const h = await health();
      return h.problems.some((p) => p.id === TOKEN_NOT_ADMIN_PROBLEM) ? h : undefined;
    }, 'the problem in /api/health');
    expect(body.status).toBe('degraded');
    expect(body.problems.find((p) => p.id === TOKEN_NOT_ADMIN_PROBLEM)).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('must belong to an administrator'),
    });

    const lines = logText.split('\n');
    const errors = lines.filter((l) => / (ERROR|FATAL) /.test(l));
    expect(errors[0]).toMatch(/must belong to an administrator/);
    // Once above debug level, however many times the back-off retried.
    expect(lines.filter((l) => /administrator/.test(l) && !/ (DEBUG|TRACE) /.test(l))).toHaveLength(1);
    // No warning at every back-off.
    expect(lines.filter((l) => / WARN .*(Unauthorized|session setup failed)/.test(l))).toEqual([]);
  });

  it('clears the problem once the user is an administrator', async () => {
    ha.nonAdmin = false;
    await runtime.ha?.client.waitForStatus('ready');
    await eventually(
      async () => ((await health()).problems.some((p) => p.id === TOKEN_NOT_ADMIN_PROBLEM) ? undefined : true),
      'the problem cleared',
    );
  });
});
