import { systemClock } from '@sps/core';
import type { DatabaseSync } from '@sps/store';
import {
  AggregatorLink,
  DrSignals,
  eventTopic,
  generateTestCertificates,
  openAggregatorDatabase,
  participantTopic,
  publishOnce,
  startMosquitto,
  type BrokerOptions,
  type DrChange,
  type RunningMosquitto,
  type TestCertificates,
} from '../src';
import { MemoryLogger, eventually, tempDir } from './signals-helpers';

/**
 * The MQTT link against a real Mosquitto on loopback (started here), with the real clock. Nothing
 * sleeps a fixed time: every wait polls with a deadline.
 */
const NETWORK = 'Crown Heights';
const TOPIC = eventTopic(NETWORK); // OpenDemandResponse/Event/CrownHeights
const ZONE = 'America/New_York';

function localWall(ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Math.floor(ms / 1000) * 1000));
}

/** A community message for an event starting `offsetMs` from now. */
function communityEvent(offsetMs: number, program = 'CSRP'): string {
  return `${program}#contingency#${localWall(Date.now() + offsetMs)}#${localWall(Date.now())}`;
}

describe('AggregatorLink and DrSignals against a real Mosquitto', () => {
  const tmp = tempDir('sps-mqtt-link-');
  const open: { stop(): Promise<void> }[] = [];
  const dbs: DatabaseSync[] = [];
  let certs: TestCertificates;
  let broker: RunningMosquitto;
  let n = 0;

  const signals = (options: {
    broker: BrokerOptions;
    dbFile?: string;
  }): { s: DrSignals; logger: MemoryLogger; changes: DrChange[]; db: DatabaseSync } => {
    const db = openAggregatorDatabase(options.dbFile ?? tmp.file(`agg-${n++}.sqlite`));
    dbs.push(db);
    const logger = new MemoryLogger();
    const s = new DrSignals({
      db,
      clock: systemClock,
      logger,
      broker: options.broker,
      network: NETWORK,
      timeZone: ZONE,
    });
    const changes: DrChange[] = [];
    s.on('change', (c) => changes.push(c));
    open.push(s);
    s.start();
    return { s, logger, changes, db };
  };
  const publisher = (b: RunningMosquitto = broker): BrokerOptions => ({ url: b.url, clientId: `aggregator-${n++}` });

  beforeAll(async () => {
    certs = await generateTestCertificates();
    broker = await startMosquitto();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.stop()));
    for (const db of dbs.splice(0)) db.close();
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.remove();
  });

  it('plain mqtt://: an event published at QoS 1 arrives, is stored and sets the mode', async () => {
    const { s, changes } = signals({ broker: { url: broker.url, clientId: 'station-plain' } });
    await eventually('connected', () => s.connection().connected);
    expect(s.connection()).toMatchObject({ connected: true, lastError: null });
    await publishOnce(publisher(), TOPIC, communityEvent(2 * 3_600_000), systemClock);
    await eventually('the event', () => changes.length > 0);
    expect(changes[0]).toMatchObject({ kind: 'received', event: { program: 'CSRP', type: 'contingency' } });
    expect(s.state().mode).toBe('upcoming');
    expect(s.stats()).toMatchObject({ received: 1, rejected: 0 });
    // publish(): the participant topic, read by the aggregator's own client.
    const seen: string[] = [];
    const aggregator = new AggregatorLink({
      broker: { url: broker.url, clientId: 'aggregator-reader' },
      subscriptions: [participantTopic('Station 7')],
      clock: systemClock,
      logger: new MemoryLogger(),
      onMessage: (topic, payload) => seen.push(`${topic} ${payload.toString()}`),
      persistentSession: false,
    });
    open.push(aggregator);
    aggregator.start();
    await eventually('reader subscribed', () => aggregator.connection().connected);
    await eventually('participant data arrives', async () => {
      await s.publish(participantTopic('Station 7'), '80#120#0#0#0#1#350#5#470#1782900000');
      return seen.length > 0;
    });
    expect(seen[0]).toBe('OpenDemandResponse/Participant/Station7 80#120#0#0#0#1#350#5#470#1782900000');
  });

  it('username/password: the right ones connect; wrong or missing ones say so', async () => {
    const secured = await startMosquitto({ users: [{ user: 'station', password: 's3cret' }] });
    open.push(secured);
    const ok = signals({
      broker: { url: secured.url, username: 'station', password: 's3cret', clientId: 'station-ok' },
    });
    const wrong = signals({
      broker: { url: secured.url, username: 'station', password: 'nope', clientId: 'station-wrong' },
    });
    const none = signals({ broker: { url: secured.url, clientId: 'station-anon' } });
    await eventually('ok connects', () => ok.s.connection().connected);
    const wrongError = await eventually('wrong refused', () => wrong.s.connection().lastError ?? undefined);
    expect(wrongError).toMatch(/refused the username or password/);
    expect(wrong.s.connection().connected).toBe(false);
    expect(await eventually('anonymous refused', () => none.s.connection().lastError ?? undefined)).toMatch(
      /not authorised .*needs a username and password/,
    );
    await publishOnce(
      { url: secured.url, username: 'station', password: 's3cret', clientId: 'agg-auth' },
      TOPIC,
      communityEvent(3_600_000, 'DLRP'),
      systemClock,
    );
    await eventually('event over the secured broker', () => ok.changes.length > 0);
    await expect(publishOnce({ url: secured.url, clientId: 'agg-anon' }, TOPIC, 'x', systemClock)).rejects.toThrow(
      /not authorised/,
    );
  });

  it('TLS with certificates generated in the test: CA + client certificate connect; a wrong CA or no client certificate fail clearly', async () => {
    const tls = await startMosquitto({
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem, requireClientCert: true },
    });
    open.push(tls);
    const tlsUrl = tls.tlsUrl as string;
    expect(tlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const good = signals({
      broker: {
        url: tlsUrl,
        ca: certs.caPem,
        cert: certs.clientCertPem,
        key: certs.clientKeyPem,
        clientId: 'station-tls',
      },
    });
    const otherCa = (await generateTestCertificates()).caPem;
    const wrongCa = signals({
      broker: {
        url: tlsUrl,
        ca: otherCa,
        cert: certs.clientCertPem,
        key: certs.clientKeyPem,
        clientId: 'station-wrong-ca',
      },
    });
    const noCert = signals({ broker: { url: tlsUrl, ca: certs.caPem, clientId: 'station-no-cert' } });
    const garbage = '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n';
    const badPem = signals({
      broker: { url: tlsUrl, ca: certs.caPem, cert: garbage, key: garbage, clientId: 'station-bad-pem' },
    });
    await eventually('TLS connects', () => good.s.connection().connected);
    expect(await eventually('wrong CA', () => wrongCa.s.connection().lastError ?? undefined)).toMatch(
      /^TLS: the broker's certificate .*(CA|configured)/,
    );
    expect(await eventually('no client cert', () => noCert.s.connection().lastError ?? undefined)).toMatch(
      /^TLS: .*client certificate/,
    );
    expect(await eventually('unreadable PEM', () => badPem.s.connection().lastError ?? undefined)).toMatch(
      /^TLS: the client certificate or key could not be read \(ERR_OSSL_/,
    );
    await publishOnce(
      { url: tlsUrl, ca: certs.caPem, cert: certs.clientCertPem, key: certs.clientKeyPem, clientId: 'agg-tls' },
      TOPIC,
      communityEvent(3_600_000),
      systemClock,
    );
    await eventually('event over TLS', () => good.changes.length > 0);
    // mqtts:// to the plain port, and the plain port refused outright.
    await expect(
      publishOnce(
        { url: `mqtts://127.0.0.1:${tls.port}`, ca: certs.caPem, clientId: 'agg-x' },
        TOPIC,
        'x',
        systemClock,
      ),
    ).rejects.toThrow(/^TLS: /);
  });

  it('broker restart mid-event: reconnects, the event carries on from its stored state, a repeat is a duplicate', async () => {
    const b = await startMosquitto();
    open.push(b);
    const { s, changes } = signals({ broker: { url: b.url, clientId: 'station-restart' } });
    await eventually('connected', () => s.connection().connected);
    // An immediate event that started ten minutes ago: ongoing at once.
    const payload = communityEvent(-10 * 60_000);
    await publishOnce(publisher(b), TOPIC, payload, systemClock);
    await eventually('started', () => changes.some((c) => c.kind === 'started'));
    expect(s.state().mode).toBe('ongoing');
    const connections: boolean[] = [];
    s.on('connection', (c) => connections.push(c.connected));
    await b.restart();
    await eventually('reconnected', () => connections.includes(false) && s.connection().connected);
    expect(s.state().mode).toBe('ongoing');
    // The aggregator repeats its message after the restart: one event still.
    await publishOnce(publisher(b), TOPIC, payload, systemClock);
    await eventually('the repeat', () => s.stats().duplicates === 1);
    expect(changes.map((c) => c.kind)).toEqual(['received', 'started']);
    expect(s.events()).toHaveLength(1);
  });

  it('persistent session: QoS 1 messages sent while the station was away (and the broker restarted) arrive on return; QoS 0 ones do not', async () => {
    const b = await startMosquitto();
    open.push(b);
    const dbFile = tmp.file('persistent.sqlite');
    const first = signals({ broker: { url: b.url, clientId: 'station-persistent' }, dbFile });
    await eventually('subscribed', () => first.s.connection().connected);
    const running = communityEvent(-5 * 60_000, 'DLRP');
    await publishOnce(publisher(b), TOPIC, running, systemClock);
    await eventually('started', () => first.changes.some((c) => c.kind === 'started'));
    // The station goes away (as at an add-on restart): link and file closed.
    await first.s.stop();
    dbs.splice(dbs.indexOf(first.db), 1);
    first.db.close();

    // While the station is away: one QoS 0 and one QoS 1 message; then the broker restarts (persistence on).
    const aggregator = await startAggregatorClient(b.url);
    await aggregator.publish(TOPIC, communityEvent(5 * 3_600_000, 'CSRP'), 0);
    await aggregator.publish(TOPIC, communityEvent(6 * 3_600_000, 'CSRP'), 1);
    await aggregator.stop();
    await b.restart();

    const second = signals({ broker: { url: b.url, clientId: 'station-persistent' }, dbFile });
    // The restart resumed the running event from the file, without a second `started`.
    expect(second.s.state().mode).toBe('ongoing');
    await eventually('the queued QoS 1 event', () => second.changes.some((c) => c.kind === 'received'));
    const received = second.changes.filter((c) => c.kind === 'received');
    expect(received).toHaveLength(1);
    expect(received[0]?.event.startMs).toBeGreaterThan(Date.now() + 5.5 * 3_600_000);
    expect(second.changes.some((c) => c.kind === 'started')).toBe(false);
    expect(second.s.events()).toHaveLength(2);
  });

  it('a changed network with the same client id: the kept session still gets the new topic, the old one is ignored', async () => {
    const before = signals({ broker: { url: broker.url, clientId: 'station-moved' } });
    await eventually('connected', () => before.s.connection().connected);
    await before.s.stop();
    const db = openAggregatorDatabase(tmp.file('moved.sqlite'));
    dbs.push(db);
    const logger = new MemoryLogger();
    const after = new DrSignals({
      db,
      clock: systemClock,
      logger,
      broker: { url: broker.url, clientId: 'station-moved' },
      network: 'Borough Hall',
      timeZone: ZONE,
    });
    open.push(after);
    const changes: DrChange[] = [];
    after.on('change', (c) => changes.push(c));
    after.start();
    await eventually(
      'reconnected with the kept session',
      () => logger.matching(/broker connected/)[0]?.obj['sessionPresent'] === true,
    );
    const aggregator = await startAggregatorClient(broker.url);
    try {
      await aggregator.publish(TOPIC, communityEvent(3_600_000), 1);
      await aggregator.publish(eventTopic('Borough Hall'), communityEvent(2 * 3_600_000), 1);
      await eventually('the new network event', () => changes.length === 1);
      await eventually('the old topic ignored', () => logger.matching(/on another topic ignored/).length === 1);
      expect(after.stats()).toMatchObject({ received: 1, rejected: 0 });
    } finally {
      await aggregator.stop();
    }
  });

  it('hostile payloads over the wire are rejected, counted and logged (reason + topic, no payload); the link keeps working', async () => {
    const { s, logger, changes } = signals({ broker: { url: broker.url, clientId: 'station-hostile' } });
    await eventually('connected', () => s.connection().connected);
    const aggregator = await startAggregatorClient(broker.url);
    try {
      const hostile: (string | Buffer)[] = [
        Buffer.alloc(1_000_000, 0x23), // 1 MB of '#'
        `{"program":"DLRP","type":"contingency","start":"2026-07-01T16:00:00Z","x":{"__proto__":{"admin":true}}}`,
        'CSRP#contingency#2026-07-01 16:00:00',
        'CSRP#contingency#2026-02-31 16:00:00#x',
        Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      ];
      for (const p of hostile) await aggregator.publish(TOPIC, p, 1);
      await eventually('all rejected', () => s.stats().rejected === hostile.length);
      expect(changes).toEqual([]);
      const warnings = logger.matching(/DR message rejected/);
      expect(warnings.map((w) => w.obj['reason'])).toEqual([
        'payload: 1000000 bytes (at most 65536)',
        'JSON: the key "__proto__" is not allowed anywhere in a payload',
        "community format: expected 4 '#'-separated fields (program#type#start#sent), got 3",
        'start: 2026-02-31 16:00:00 is not a date and time',
        'payload: not UTF-8 text',
      ]);
      for (const w of warnings) expect(w.obj).toEqual({ topic: TOPIC, reason: expect.any(String) });
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
      expect(s.connection().connected).toBe(true);
      await aggregator.publish(TOPIC, communityEvent(3_600_000), 1);
      await eventually('a good event after the bad ones', () => changes.length === 1);
      expect(s.stats()).toMatchObject({
        received: 1,
        rejected: hostile.length,
        lastRejectReason: 'payload: not UTF-8 text',
      });
    } finally {
      await aggregator.stop();
    }
  });

  it('stop is quick and clean while the broker is unreachable, and publish rejects when not connected', async () => {
    const gone = await startMosquitto();
    const url = gone.url;
    await gone.stop();
    const { s } = signals({ broker: { url, clientId: 'station-gone' } });
    expect(await eventually('refused', () => s.connection().lastError ?? undefined)).toMatch(/connection refused/);
    await expect(s.publish('OpenDemandResponse/Participant/x', 'v')).rejects.toThrow(/not connected/);
    await s.stop();
    expect(s.connection().connected).toBe(false);
  });

  it('a bad broker URL is a state with a reason, not a throw', async () => {
    const { s } = signals({ broker: { url: 'http://127.0.0.1:1', clientId: 'station-bad-url' } });
    expect(s.connection()).toMatchObject({
      connected: false,
      lastError: 'broker url: http:// is not supported (mqtt:// or mqtts://)',
    });
  });
});

/** The aggregator's side: a plain client that publishes at QoS 0 or 1. */
async function startAggregatorClient(url: string): Promise<AggregatorLink> {
  const link = new AggregatorLink({
    broker: { url, clientId: `aggregator-${Math.random().toString(36).slice(2)}` },
    subscriptions: [],
    clock: systemClock,
    logger: new MemoryLogger(),
    onMessage: () => undefined,
    persistentSession: false,
  });
  link.start();
  await eventually('aggregator connected', () => link.connection().connected);
  return link;
}
