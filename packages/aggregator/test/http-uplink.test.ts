import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HttpUplink, jsonBatchEncoder, parseUplinkUrl } from '@sps/aggregator';
import { startReceiver, type Receiver } from './helpers/receiver';

const envelope = {
  batch_id: '6f1c1a2e-0000-4000-8000-000000000001',
  seq: 7,
  site: 'flat-12',
  level: 'full',
  sent_at: '2026-03-02T10:00:00.000Z',
  records: [{ kind: 'reading_1m', device: 'station', at: '2026-03-02T09:59:00.000Z', values: { battery_soc: 81.5 } }],
};

function batch() {
  return {
    batchId: envelope.batch_id,
    seq: envelope.seq,
    body: jsonBatchEncoder.encode(envelope),
    contentType: 'application/json',
  };
}

describe('HttpUplink', () => {
  let receiver: Receiver;
  const uplinks: HttpUplink[] = [];
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const u of uplinks.splice(0)) await u.close();
    await receiver.close();
  });
  const make = (options: Partial<ConstructorParameters<typeof HttpUplink>[0]> = {}): HttpUplink => {
    const uplink = new HttpUplink({ url: receiver.url, token: 'tok-123', ...options });
    uplinks.push(uplink);
    return uplink;
  };

  it('gzips by default; the body decodes to the same JSON; the bearer token is sent', async () => {
    const result = await make().send(batch(), new AbortController().signal);
    expect(result).toEqual({ kind: 'ack', status: 200 });
    const [req] = receiver.requests;
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe('Bearer tok-123');
    expect(JSON.parse(gunzipSync(req?.raw ?? Buffer.alloc(0)).toString('utf8'))).toEqual(envelope);
  });

  it('sends plain JSON when gzip is off, and reuses one kept-alive connection', async () => {
    const uplink = make({ gzip: false });
    const sockets = new Set<string>();
    receiver.answer = (r) => {
      sockets.add(String(r.headers.connection));
      return { status: 201 };
    };
    for (let i = 0; i < 3; i += 1) await uplink.send(batch(), new AbortController().signal);
    expect(receiver.requests.every((r) => r.headers['content-encoding'] === undefined)).toBe(true);
    expect(receiver.requests[0]?.json).toEqual(envelope);
    expect([...sockets]).toEqual(['keep-alive']);
  });

  it('classifies answers: 5xx/408/429 retry (with Retry-After), other 4xx and 3xx are refusals', async () => {
    const uplink = make();
    const cases: Array<[number, Record<string, string>, string, number | null]> = [
      [503, { 'retry-after': '30' }, 'retry', 30_000],
      [500, {}, 'retry', null],
      [408, {}, 'retry', null],
      [429, { 'retry-after': '5' }, 'retry', 5_000],
      [400, {}, 'refused', null],
      [403, {}, 'refused', null],
      [302, { location: 'http://elsewhere/' }, 'refused', null],
    ];
    for (const [status, headers, kind, retryAfterMs] of cases) {
      receiver.answer = () => ({ status, headers });
      const result = await uplink.send(batch(), new AbortController().signal);
      expect(result.kind).toBe(kind);
      if (result.kind === 'retry') expect(result.retryAfterMs).toBe(retryAfterMs);
      if (result.kind === 'refused') expect(result.status).toBe(status);
    }
  });

  it('reads only a bounded part of the response body and keeps it printable', async () => {
    receiver.answer = () => ({
      status: 500,
      body: Buffer.concat([Buffer.from('\u0000\u0001evil'), Buffer.alloc(1024 * 1024, 65)]),
    });
    const result = await make({ maxResponseBytes: 64 }).send(batch(), new AbortController().signal);
    expect(result.kind).toBe('retry');
    if (result.kind !== 'retry') return;
    expect(result.error).toMatch(/^uplink: HTTP 500 \(evilA+\)$/);
    expect(result.error.length).toBeLessThan(120);
  });

  it('a receiver that never answers: the timeout ends the attempt as a retry; an abort ends it at once', async () => {
    receiver.answer = () => ({ status: 200, hang: true });
    const timedOut = await make({ timeoutMs: 200 }).send(batch(), new AbortController().signal);
    expect(timedOut).toMatchObject({ kind: 'retry', error: 'uplink: no answer within 200 ms' });
    const abort = new AbortController();
    const pending = make({ timeoutMs: 60_000 }).send(batch(), abort.signal);
    abort.abort();
    await expect(pending).resolves.toMatchObject({ kind: 'retry', error: 'uplink: attempt aborted (stopping)' });
  });

  it('a receiver that drops the connection without answering is a retry', async () => {
    const dropper = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const { port } = dropper.address() as AddressInfo;
    try {
      const result = await make({ url: `http://127.0.0.1:${port}/x` }).send(batch(), new AbortController().signal);
      expect(result).toMatchObject({
        kind: 'retry',
        error: expect.stringMatching(/^uplink: (ECONNRESET|socket hang up)/),
      });
    } finally {
      await new Promise<void>((resolve) => dropper.close(() => resolve()));
    }
  });

  it('a refused connection is a retry', async () => {
    const url = receiver.url;
    await receiver.close();
    receiver = await startReceiver();
    const result = await make({ url }).send(batch(), new AbortController().signal);
    expect(result).toMatchObject({ kind: 'retry', error: 'uplink: ECONNREFUSED' });
  });

  it('https with a private CA: the receiver certificate is checked against `ca`', async () => {
    // A throwaway EC certificate for 127.0.0.1, made here with the system openssl.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-uplink-tls-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
          .concat(['-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=receiver'])
          .concat(['-addext', 'subjectAltName=IP:127.0.0.1']),
        { cwd: dir, stdio: 'pipe' },
      );
      const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
      const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const bodies: string[] = [];
      const server = https.createServer({ key, cert }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
          res.writeHead(202);
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
      try {
        const trusted = await make({ url, ca: cert }).send(batch(), new AbortController().signal);
        expect(trusted).toEqual({ kind: 'ack', status: 202 });
        expect(JSON.parse(bodies[0] ?? '')).toEqual(envelope);
        const untrusted = await make({ url }).send(batch(), new AbortController().signal);
        expect(untrusted).toMatchObject({ kind: 'retry', error: 'uplink: DEPTH_ZERO_SELF_SIGNED_CERT' });
        expect(bodies).toHaveLength(1);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts https anywhere and http only to loopback or the LAN', () => {
    for (const ok of [
      'https://dr.example.org/ingest',
      'http://127.0.0.1:8080/x',
      'http://[::1]:9/x',
      'http://192.168.1.20/x',
      'http://10.0.0.5/x',
      'http://172.20.1.1/x',
      'http://homeassistant:8123/x',
      'http://aggregator.local/x',
    ]) {
      expect(parseUplinkUrl(ok).href).toBe(new URL(ok).href);
    }
    expect(() => parseUplinkUrl('http://dr.example.org/ingest')).toThrow(
      /uplink_url: plain http:\/\/ only to loopback or the LAN/,
    );
    expect(() => parseUplinkUrl('http://8.8.8.8/x')).toThrow(/uplink_url/);
    expect(() => parseUplinkUrl('ftp://192.168.1.2/x')).toThrow(/uplink_url: must be https/);
    expect(() => parseUplinkUrl('not a url')).toThrow(/uplink_url: not a URL/);
    expect(() => parseUplinkUrl('https://user:pw@dr.example.org/')).toThrow(/uplink_token/);
    expect(() => parseUplinkUrl(42)).toThrow(/uplink_url|expected string/);
    expect(() => new HttpUplink({ url: 'http://dr.example.org/' })).toThrow(/uplink_url/);
  });
});
