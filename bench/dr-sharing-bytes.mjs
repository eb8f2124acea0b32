// Bytes per month on the uplink for one station at each sharing level. A month of readings from
// an embedded generator (a portable station and a grid meter, 16 readings every 10 s) is fed to
// the real DrSharing in simulated time; its real HttpUplink POSTs to a real HTTPS receiver on
// loopback, whose TCP sockets count every byte both ways (HTTP headers, bodies, TLS records and
// handshakes). Only the TCP/IP packet headers are estimated (loopback cannot show them).
// Prints figures; asserts nothing. Needs the built packages: `pnpm exec tsc -b` (or `pnpm bench`).
//   SPS_BENCH_DAYS=30   simulated days per level (default 30; the figures are scaled to 30 days)
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setImmediate, setTimeout } from 'node:timers';

const require = createRequire(import.meta.url);
const { ManualClock } = require('../packages/core/dist/index.js');
const { loadSqlite } = require('../packages/store/dist/index.js');
const { DrSharing, HttpUplink, DEFAULT_PERIOD_MS } = require('../packages/aggregator/dist/index.js');

const DAYS = Number(process.env.SPS_BENCH_DAYS ?? 30);
const START = Date.UTC(2026, 2, 1);
const STEP_MS = 10_000;
const TOKEN = 'sps_' + 'k'.repeat(40); // a 44-character bearer token, the size of a typical API key
/** IPv4 (20 B) + TCP with timestamps (32 B) per packet. */
const PACKET_HEADER_BYTES = 52;
/** SYN, SYN-ACK, ACK, two FINs and their ACKs, plus one ACK per direction of a request/response. */
const CONTROL_PACKETS_PER_CONNECTION = 9;
const MSS = 1448;
/**
 * Estimated per MQTT message beyond topic and payload: PUBLISH fixed header and topic length
 * (4 B), a TLS 1.3 record (22 B), the packet's IPv4+TCP header (52 B) and the broker's bare ACK
 * (52 B; QoS 0 has no PUBACK).
 */
const MQTT_OVERHEAD_PER_MESSAGE = 4 + 22 + 52 + 52;

// ---- a certificate chain like a public one: a root, an intermediate, an ECDSA P-256 leaf ----
function makeChain(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Bench Root',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'int.key',
    '-out',
    'int.csr',
    '-subj',
    '/O=Bench/CN=Bench Intermediate R1',
  );
  const ext = path.join(dir, 'ext.cnf');
  execFileSync('sh', [
    '-c',
    `printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > ${ext}`,
  ]);
  run(
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'int.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key');
  run('req', '-new', '-key', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=dr.example.org');
  execFileSync('sh', [
    '-c',
    `printf 'subjectAltName=DNS:dr.example.org,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ${path.join(dir, 'leaf.cnf')}`,
  ]);
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.pem',
    '-CAkey',
    'int.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
    '-extfile',
    'leaf.cnf',
  );
  const read = (f) => readFileSync(path.join(dir, f), 'utf8');
  return { key: read('leaf.key'), cert: read('leaf.pem') + read('int.pem'), ca: read('root.pem') };
}

// ---- the embedded generator: a seeded, plausible household day ----
function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stationModel(seed) {
  const rnd = mulberry32(seed);
  let soc = 70;
  let cloud = 0.8;
  let appliance = 0;
  let applianceLeft = 0;
  return (t) => {
    const hour = (((t / 3_600_000) % 24) + 24) % 24;
    cloud = Math.min(1, Math.max(0.1, cloud + (rnd() - 0.5) * 0.05));
    const sun = hour > 6 && hour < 18 ? Math.sin(((hour - 6) / 12) * Math.PI) : 0;
    const pv = Math.round(400 * sun * cloud * (0.95 + rnd() * 0.1));
    if (applianceLeft <= 0 && rnd() < 0.004) {
      appliance = 800 + Math.round(rnd() * 1200);
      applianceLeft = 6 + Math.round(rnd() * 30);
    }
    applianceLeft -= 1;
    const fridge = Math.floor(t / 60_000) % 45 < 15 ? 110 : 0;
    const load = Math.round(180 + fridge + (applianceLeft > 0 ? appliance : 0) + rnd() * 25);
    const discharging = soc > 20 && hour >= 16 && hour < 22;
    const charging = !discharging && soc < 95 && (pv > load || hour < 6);
    const batteryPower = discharging
      ? Math.min(load - pv, 1200)
      : charging
        ? -Math.round(pv > load ? pv - load : 300)
        : 0;
    soc = Math.min(100, Math.max(0, soc - (batteryPower * STEP_MS) / 3_600_000 / 20));
    const acIn = charging && hour < 6 ? 300 : 0;
    const grid = Math.max(0, load - pv - Math.max(0, batteryPower)) + acIn;
    const station = {
      battery_soc: Math.round(soc),
      battery_power: Math.round(batteryPower),
      battery_voltage: Math.round((51.2 + (soc - 50) / 50 + (rnd() - 0.5) * 0.2) * 10) / 10,
      battery_temperature: Math.round(24 + rnd() * 3),
      pv_power: pv,
      load_power: load,
      grid_power: grid,
      ac_output_power: Math.round(load * 0.92),
      ac_input_power: acIn,
      dc_output_power: Math.round(load * 0.08),
      dc_input_power: pv,
      ac_output_on: true,
      dc_output_on: rnd() < 0.999,
    };
    const meter = {
      grid_power: grid + Math.round((rnd() - 0.5) * 10),
      grid_voltage: Math.round((120 + (rnd() - 0.5) * 2) * 10) / 10,
      relay_on: true,
    };
    return { station, meter };
  };
}

/** Four DR events a month: received a day ahead, started, ended, then the performance. */
function drSchedule() {
  const out = [];
  for (let day = 3; day < DAYS; day += 7) {
    const startMs = START + day * 86_400_000 + 18 * 3_600_000;
    const event = {
      id: `CSRP-${new Date(startMs).toISOString()}`,
      program: 'CSRP',
      type: 'contingency',
      startMs,
      endMs: startMs + 4 * 3_600_000,
      goalKw: 1,
      goalPct: null,
      status: 'active',
      receivedAtMs: startMs - 21 * 3_600_000,
      sentAt: null,
      optedOut: false,
      simulated: false,
    };
    out.push({ at: event.receivedAtMs, change: { kind: 'received', event, atMs: event.receivedAtMs } });
    out.push({ at: startMs, change: { kind: 'started', event, atMs: startMs } });
    out.push({ at: event.endMs, change: { kind: 'ended', event, atMs: event.endMs } });
    out.push({
      at: event.endMs + 3_600_000,
      perf: {
        eventId: event.id,
        baselineMethod: 'average_day',
        baselineDays: Array.from({ length: 10 }, (_, i) =>
          new Date(startMs - (i + 1) * 86_400_000).toISOString().slice(0, 10),
        ),
        baselineFallback: null,
        goalKw: 1,
        hours: [0, 1, 2, 3].map((h) => ({
          hourStartMs: startMs + h * 3_600_000,
          baselineKw: 1.4,
          actualKw: 0.2,
          avoidedKwh: 1.2,
          goalMetPct: 120,
        })),
        avoidedKwh: 4.8,
        goalMetPct: 120,
        monthlyValue: 18,
      },
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

async function runLevel(level, chain, { gzip = true, periodMs, keepAlive = false, days = DAYS } = {}) {
  const wire = { up: 0, down: 0, connections: 0, requests: 0, bodies: 0, httpUp: 0, httpDown: 0 };
  const server = https.createServer({ key: chain.key, cert: chain.cert }, (req, res) => {
    let size = 0;
    req.on('data', (c) => (size += c.length));
    req.on('end', () => {
      wire.requests += 1;
      wire.bodies += size;
      let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      wire.httpUp += Buffer.byteLength(head) + 2 + size;
      // A receiver whose idle timeout (nginx: 75 s) is far below the batching period: every POST
      // finds the connection closed and opens a new one.
      res.writeHead(204, keepAlive ? {} : { connection: 'close' });
      res.end();
      res.on('finish', () => (wire.httpDown += Buffer.byteLength(res._header ?? '')));
    });
  });
  server.on('connection', (socket) => {
    wire.connections += 1;
    socket.on('close', () => {
      wire.up += socket.bytesRead;
      wire.down += socket.bytesWritten;
    });
  });
  if (keepAlive) server.keepAliveTimeout = 3_600_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${server.address().port}/ingest`;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-sharing-'));
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(path.join(dir, 'aggregator.sqlite'));
  const clock = new ManualClock(START);
  let published = 0;
  let publishedBytes = 0;
  const sharing = new DrSharing({
    db,
    clock,
    site: 'flat12',
    level,
    uplink: new HttpUplink({ url, token: TOKEN, gzip, ca: chain.ca }),
    publish: async (topic, payload) => {
      published += 1;
      publishedBytes += Buffer.byteLength(topic) + Buffer.byteLength(payload);
    },
    timeZone: 'America/New_York',
    ...(periodMs ? { periodMs } : {}),
  });
  const model = stationModel(42);
  const dr = drSchedule();
  sharing.start();
  const end = START + days * 86_400_000;
  while (clock.now() < end) {
    const t = clock.now();
    while (dr.length && dr[0].at <= t) {
      const item = dr.shift();
      if (item.change) sharing.noteChange(item.change);
      else sharing.notePerformance(item.perf);
    }
    const { station, meter } = model(t);
    sharing.noteReadings('station', t, station);
    sharing.noteReadings('meter', t, meter);
    await clock.advance(STEP_MS);
    // Let each POST finish before time moves on (checked once a simulated minute: cheap enough,
    // and DR changes go out 10 s after they happen).
    if ((t / STEP_MS) % 6 === 0) {
      while (sharing.status().outbox.pending > 0) await new Promise((r) => setImmediate(r));
    }
  }
  while (sharing.status().outbox.pending > 0) await new Promise((r) => setImmediate(r));
  await sharing.stop();
  await new Promise((r) => setTimeout(r, 20)); // let the last socket's 'close' count
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const packets =
    wire.connections * CONTROL_PACKETS_PER_CONNECTION +
    wire.connections * 2 +
    Math.ceil(wire.up / MSS) +
    Math.ceil(wire.down / MSS);
  const scale = 30 / days;
  return {
    level,
    gzip,
    posts: Math.round(wire.requests * scale),
    bodyMB: (wire.bodies * scale) / 1e6,
    httpMB: ((wire.httpUp + wire.httpDown) * scale) / 1e6,
    tlsMB: ((wire.up + wire.down) * scale) / 1e6,
    ipMB: (packets * PACKET_HEADER_BYTES * scale) / 1e6,
    totalMB: ((wire.up + wire.down + packets * PACKET_HEADER_BYTES) * scale) / 1e6,
    tlsPerConnectionB: wire.connections
      ? Math.round((wire.up + wire.down - wire.httpUp - wire.httpDown) / wire.connections)
      : 0,
    mqttMsgs: Math.round(published * scale),
    mqttMB: ((publishedBytes + published * MQTT_OVERHEAD_PER_MESSAGE) * scale) / 1e6,
  };
}

function fmt(n, d = 2) {
  return n.toFixed(d).padStart(8);
}

const short = Math.min(DAYS, 3); // the slow variants (tens of thousands of handshakes) run fewer days, scaled
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-chain-'));
const chain = makeChain(tmp);
rmSync(tmp, { recursive: true, force: true });
console.log(
  `DR sharing bytes per month (${DAYS} simulated days, scaled to 30; the slow variants ${short}), one station: 16 readings every 10 s`,
);
console.log('HTTPS to a loopback receiver; a new TCP+TLS 1.3 connection per POST (full handshake, 2-cert chain)');
const runs = [
  ['none'],
  ['events'],
  ['aggregate'],
  ['full'],
  ['full', { keepAlive: true }],
  ['aggregate', { periodMs: 15 * 60_000 }],
  ['full', { periodMs: 15 * 60_000 }],
  ['full', { gzip: false, days: short }],
  ['full', { periodMs: 60_000, days: short }],
];
console.log(
  'level       gzip period conn   POSTs   body MB  HTTP MB  +TLS MB  +IP est  total MB  TLS B/conn  MQTT msgs  MQTT MB',
);
console.log('(conn: new = a new connection per POST, the receiver closes idle ones; kept = one kept-alive connection)');
for (const [level, options = {}] of runs) {
  const r = await runLevel(level, chain, options);
  const period = `${(options.periodMs ?? DEFAULT_PERIOD_MS) / 60_000}m`;
  console.log(
    `${level.padEnd(10)} ${String(r.gzip).padStart(5)} ${period.padStart(6)} ${options.keepAlive ? 'kept' : ' new'} ${String(r.posts).padStart(6)} ${fmt(r.bodyMB, 3)} ${fmt(r.httpMB, 3)} ${fmt(r.tlsMB, 3)} ${fmt(r.ipMB, 3)} ${fmt(r.totalMB, 3)} ${String(r.tlsPerConnectionB).padStart(11)} ${String(r.mqttMsgs).padStart(10)} ${fmt(r.mqttMB, 3)}`,
  );
}
console.log('HTTP MB: request line + headers + body + response head. +TLS MB: every TCP payload byte measured on the');
console.log(
  "receiver's sockets (HTTP inside TLS records, handshakes). +IP est: 52 B of IPv4+TCP header per packet, packets",
);
console.log(`estimated as ${CONTROL_PACKETS_PER_CONNECTION + 2} control/ACK packets per connection + payload/${MSS}.`);
console.log(
  'TLS B/conn: TCP payload bytes beyond the HTTP bytes, per connection (handshake, record headers and tags).',
);
console.log(
  `MQTT (full only, on the broker link): topic + payload + an estimated ${MQTT_OVERHEAD_PER_MESSAGE} B per message (MQTT, TLS record, IP/TCP, ACK).`,
);
