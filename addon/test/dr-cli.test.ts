import { systemClock } from '@sps/core';
import {
  DrSignals,
  generateTestCertificates,
  openAggregatorDatabase,
  startMosquitto,
  type AggregatorLogger,
  type DrApiStatus,
  type DrChange,
  type RunningMosquitto,
  type TestCertificates,
} from '@sps/aggregator';
import type { DatabaseSync } from '@sps/store';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SpsProcess, ensureBuilt, runSps } from './support/addon-process';

/**
 * `sps dr send` as a child process of the built CLI, against a real Mosquitto started here, with a
 * real DrSignals listening on the other side; `sps dr status` against a loopback HTTP server that
 * answers `GET /api/dr` with the contract's body (the add-on's own route is tested where it is wired).
 */
const ZONE = 'America/New_York';
const quiet: AggregatorLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function until<T>(what: string, check: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `YYYY-MM-DD HH:MM:SS` in New York, `hours` from now (whole seconds). */
function localIn(hours: number): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Math.floor((Date.now() + hours * 3_600_000) / 1000) * 1000));
}

async function sps(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = new SpsProcess(args, env);
  try {
    const { code } = await child.exitWithin(30_000);
    return { code, stdout: child.stdout, stderr: child.stderr };
  } finally {
    await child.kill();
  }
}

describe('sps dr', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-dr-cli-'));
  const file = (name: string, text: string, mode = 0o600): string => {
    const p = path.join(tmp, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };
  let certs: TestCertificates;
  let broker: RunningMosquitto;
  let db: DatabaseSync;
  let station: DrSignals;
  const changes: DrChange[] = [];

  beforeAll(async () => {
    ensureBuilt();
    certs = await generateTestCertificates();
    broker = await startMosquitto({
      users: [{ user: 'aggregator', password: 'pa55' }],
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem, requireClientCert: true },
    });
    db = openAggregatorDatabase(path.join(tmp, 'aggregator.sqlite'));
    station = new DrSignals({
      db,
      clock: systemClock,
      logger: quiet,
      broker: { url: broker.url, username: 'aggregator', password: 'pa55', clientId: 'station-cli-test' },
      network: 'Borough Hall',
      timeZone: ZONE,
    });
    station.on('change', (c) => changes.push(c));
    station.start();
    await until('station connected', () => station.connection().connected);
  }, 120_000);
  afterAll(async () => {
    await station?.stop();
    db?.close();
    await broker?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const base = (start: string): string[] => [
    'dr',
    'send',
    '--broker',
    broker.url,
    '--network',
    'Borough Hall',
    '--program',
    'CSRP',
    '--type',
    'contingency',
    '--start',
    start,
    '--time-zone',
    ZONE,
    '--username',
    'aggregator',
  ];

  it('send: the community # format, password from a file; the station stores the event (QoS 1, acknowledged)', async () => {
    const start = localIn(5);
    const passwordFile = file('password', 'pa55\n');
    const { code, stdout, stderr } = await sps([...base(start), '--password-file', passwordFile]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /^published to OpenDemandResponse\/Event\/BoroughHall on mqtt:\/\/127\.0\.0\.1:\d+ \(acknowledged\)/,
    );
    expect(stdout).toContain(`CSRP#contingency#${start}#`);
    const received = await until('received', () => changes.find((c) => c.kind === 'received'));
    expect(received.event).toMatchObject({ program: 'CSRP', type: 'contingency', goalKw: null });
    expect(received.event.endMs - received.event.startMs).toBe(4 * 3_600_000);
    expect(Math.abs(received.event.startMs - (Date.now() + 5 * 3_600_000))).toBeLessThan(120_000);
  });

  it('send --json-format over TLS with a client certificate (password from env): duration and goal arrive; --cancel cancels', async () => {
    const start = localIn(8);
    const tlsArgs = [
      '--ca',
      file('ca.pem', certs.caPem),
      '--cert',
      file('client.pem', certs.clientCertPem),
      '--key',
      file('client.key', certs.clientKeyPem),
    ];
    const args = [
      ...base(start),
      '--json-format',
      '--duration-minutes',
      '90',
      '--goal-kw',
      '2.5',
      '--id',
      'evt-tls-1',
      '--json',
    ];
    args[3] = broker.tlsUrl as string;
    const sent = await sps([...args, ...tlsArgs], { SPS_MQTT_PASSWORD: 'pa55' });
    expect({ code: sent.code, stderr: sent.stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(sent.stdout) as { topic: string; payload: string; event: { id: string } };
    expect(out.topic).toBe('OpenDemandResponse/Event/BoroughHall');
    expect(JSON.parse(out.payload)).toMatchObject({
      id: 'evt-tls-1',
      duration_minutes: 90,
      goal_kw: 2.5,
      status: 'active',
    });
    expect(JSON.parse(out.payload).start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
    const received = await until('received evt-tls-1', () => changes.find((c) => c.event.id === 'evt-tls-1'));
    expect(received.event).toMatchObject({ goalKw: 2.5 });
    expect(received.event.endMs - received.event.startMs).toBe(90 * 60_000);

    const cancel = await sps([...args.filter((a) => a !== '--json'), '--cancel', ...tlsArgs], {
      SPS_MQTT_PASSWORD: 'pa55',
    });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/cancels evt-tls-1/);
    await until('cancelled', () => changes.find((c) => c.kind === 'cancelled' && c.event.id === 'evt-tls-1'));
  });

  it('send: a wrong CA, a wrong password and no broker each fail with one clear line and exit 1', async () => {
    const start = localIn(3);
    const wrongCa = (await generateTestCertificates()).caPem;
    const tls = [
      ...base(start),
      '--ca',
      file('wrong-ca.pem', wrongCa),
      '--cert',
      file('c.pem', certs.clientCertPem),
      '--key',
      file('c.key', certs.clientKeyPem),
    ];
    tls[3] = broker.tlsUrl as string;
    const badCa = await sps(tls, { SPS_MQTT_PASSWORD: 'pa55' });
    expect(badCa.code).toBe(1);
    expect(badCa.stderr).toMatch(/^sps dr: broker mqtts:\/\/127\.0\.0\.1:\d+: TLS: the broker's certificate .*\n$/);
    const badPassword = await sps(base(start), { SPS_MQTT_PASSWORD: 'wrong' });
    expect(badPassword.code).toBe(1);
    expect(badPassword.stderr).toMatch(/refused the username or password/);
    const down = await startMosquitto();
    const url = down.url;
    await down.stop();
    const refused = await runSps([
      'dr',
      'send',
      '--broker',
      url,
      '--network',
      'x',
      '--program',
      'DLRP',
      '--type',
      'immediate',
      '--start',
      start,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/connection refused/);
  });

  it.each([
    [['dr'], /missing subcommand: send or status/],
    [['dr', 'fly'], /unknown subcommand "fly"/],
    [
      ['dr', 'send', '--network', 'x', '--program', 'CSRP', '--type', 'contingency', '--start', '2026-07-01 16:00:00'],
      /--broker: required/,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'mqtt://127.0.0.1:1883',
        '--network',
        'x',
        '--program',
        'XX',
        '--type',
        'contingency',
        '--start',
        '2026-07-01 16:00:00',
      ],
      /--program: expected one of DLRP, CSRP/,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'mqtt://127.0.0.1:1883',
        '--network',
        'x',
        '--program',
        'CSRP',
        '--type',
        'contingency',
        '--start',
        '2026-02-30 16:00:00',
      ],
      /--start: 2026-02-30 16:00:00 is not a date and time/,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'mqtt://127.0.0.1:1883',
        '--network',
        'a/b',
        '--program',
        'CSRP',
        '--type',
        'contingency',
        '--start',
        '2026-07-01 16:00:00',
      ],
      /--network: /,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'mqtt://127.0.0.1:1883',
        '--network',
        'x',
        '--program',
        'CSRP',
        '--type',
        'contingency',
        '--start',
        '2026-07-01 16:00:00',
        '--goal-kw',
        '2',
      ],
      /--goal-kw: only with --json-format/,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'mqtt://127.0.0.1:1883',
        '--network',
        'x',
        '--program',
        'CSRP',
        '--type',
        'contingency',
        '--start',
        '2026-07-01 16:00:00',
        '--time-zone',
        'Nowhere/Land',
      ],
      /--time-zone: "Nowhere\/Land" is not an IANA time zone/,
    ],
    [
      [
        'dr',
        'send',
        '--broker',
        'http://127.0.0.1:1883',
        '--network',
        'x',
        '--program',
        'CSRP',
        '--type',
        'contingency',
        '--start',
        '2026-07-01 16:00:00',
      ],
      /--broker: http:\/\/ is not supported/,
    ],
    [['dr', 'send', '--bogus'], /--bogus: unknown option/],
    [['dr', 'status', '--url', 'ftp://x'], /--url: expected http/],
  ])('bad input %j: one line, exit 2', async (args, expected) => {
    const { code, stdout, stderr } = await runSps(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(expected);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  describe('status', () => {
    let server: http.Server;
    let url: string;
    let answer: { status: number; body: string };
    const body: DrApiStatus & { extra: string } = {
      mode: 'upcoming',
      event: {
        id: 'CSRP-2026-07-01T20:00:00Z',
        program: 'CSRP',
        type: 'contingency',
        start: '2026-07-01T16:00:00-04:00',
        end: '2026-07-01T20:00:00-04:00',
        goal_kw: 1.5,
        opted_out: false,
      },
      baseline_kw: null,
      actual_kw: null,
      avoided_kwh: 0,
      sharing: 'events',
      outbox: { pending: 2, dropped: 0 },
      broker: { connected: true },
      extra: 'kept',
    };
    const requests: string[] = [];

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('prints the state as a table, and as JSON with --json (extra fields kept)', async () => {
      answer = { status: 200, body: JSON.stringify(body) };
      const table = await runSps(['dr', 'status', '--url', url]);
      expect({ code: table.code, stderr: table.stderr }).toEqual({ code: 0, stderr: '' });
      expect(table.stdout).toMatch(/^mode +upcoming$/m);
      expect(table.stdout).toMatch(/^event +CSRP-2026-07-01T20:00:00Z \(CSRP contingency\)$/m);
      expect(table.stdout).toMatch(/^goal +1\.5 kW$/m);
      expect(table.stdout).toMatch(/^outbox +2 pending, 0 dropped$/m);
      expect(table.stdout).toMatch(/^broker +connected$/m);
      const json = await runSps(['dr', 'status', '--url', `${url}/`, '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(body);
      expect(requests.every((r) => r === 'GET /api/dr')).toBe(true);
    });

    it('an error status, a body that is not the contract, or nobody listening: one line, exit 1', async () => {
      answer = { status: 404, body: '{"error":"not found"}' };
      const missing = await runSps(['dr', 'status', '--url', url]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/api\/dr: HTTP 404/);
      answer = { status: 200, body: JSON.stringify({ ...body, mode: 'party' }) };
      const wrong = await runSps(['dr', 'status', '--url', url]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/unexpected answer \(mode: /);
      const closed = await startMosquitto(); // any free port: take one, then let it go
      const port = closed.port;
      await closed.stop();
      const unreachable = await runSps(['dr', 'status', '--url', `http://127.0.0.1:${port}`]);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/cannot reach the add-on \(ECONNREFUSED\)/);
    });
  });
});
