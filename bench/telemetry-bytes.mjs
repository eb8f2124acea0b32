// Remote telemetry bytes per month (issue 13, part 7: under 15 MB against a 200 MB cap). A month of
// minutes from an embedded off-grid model (two Pylontech US5000 on one bus, the seed's 8 fields each)
// goes through the real TelemetryProfile, outbox and telemetry encoder in simulated time, and out
// through the real HttpUplink to the reference receiver on loopback (one kept-alive connection),
// and through the real MqttUplink to Debian's mosquitto behind a counting TCP proxy. Every TCP
// payload byte is counted on the sockets both ways. What loopback cannot show is estimated and
// printed separately:
//   - TLS: a full TLS 1.3 handshake 3,400 B per connection (measured on loopback with a 2-certificate
//     chain by bench/dr-sharing-bytes.mjs, "TLS B/conn"), 22 B per TLS record (5 B header + 1 B
//     inner content type + 16 B AEAD tag, RFC 8446 §5.2), one record per HTTP message / MQTT packet;
//   - TCP/IP: 52 B per packet (IPv4 20 B + TCP 20 B + 12 B timestamp option), packets = payload /
//     1448 B MSS rounded up per message, plus one bare ACK per message, plus 9 control packets per
//     connection (handshake, FINs), plus TCP keep-alive probes (probe + ACK) per idle interval;
//   - MQTT PINGREQ/PINGRESP on an idle session (real timers do not run in simulated time): one
//     exchange per keep-alive interval, 2 B + 2 B of MQTT each way;
//   - reconnects: one new connection a day (a 4G link's NAT or IP changes).
// Prints figures; asserts nothing. Needs `pnpm exec tsc -b`. SPS_BENCH_DAYS=30 by default.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { setImmediate, setTimeout } from 'node:timers';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { ManualClock } = require('../packages/core/dist/index.js');
const { loadSqlite } = require('../packages/store/dist/index.js');
const agg = require('../packages/aggregator/dist/index.js');
const { compress, telemetryBatchCbor } = require('../packages/aggregator/dist/telemetry/telemetry-codec.js');

const DAYS = Number(process.env.SPS_BENCH_DAYS ?? 30);
const START = Date.UTC(2026, 5, 1);
const MINUTE = 60_000;
const TLS_HANDSHAKE_B = 3400;
const TLS_RECORD_B = 22;
const PACKET_B = 52;
const MSS = 1448;
const CONTROL_PACKETS = 9;
const TCP_KEEPALIVE_MS = 10 * MINUTE;
const RECONNECTS_PER_DAY = 1;
const DEVICES = ['pylontech_1', 'pylontech_2'];
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An off-grid day: PV by the sun and clouds, a base load with the pump and the heater, two modules sharing the current. */
function offGridModel(seed) {
  const rnd = mulberry32(seed);
  let soc = 70;
  let cloud = 0.8;
  let temp = 22;
  return (t) => {
    const hour = (t / 3_600_000) % 24;
    cloud = Math.min(1, Math.max(0.2, cloud + (rnd() - 0.5) * 0.04));
    const sun = hour > 6 && hour < 19 ? Math.sin(((hour - 6) / 13) * Math.PI) : 0;
    const pv = 3000 * sun * cloud;
    const pump = hour >= 11 && hour < 13 ? 2200 : 0;
    const heater = hour >= 13 && hour < 15 && soc > 60 ? 1500 : 0;
    const load = 250 + pump + heater + rnd() * 80;
    const batteryW = Math.max(-5000, Math.min(5000, load - pv)); // + discharging
    soc = Math.min(100, Math.max(5, soc - (batteryW / 60 / 10_000) * 100));
    temp += (20 + Math.abs(batteryW) / 1000 - temp) * 0.02 + (rnd() - 0.5) * 0.05;
    const out = {};
    for (const [i, id] of DEVICES.entries()) {
      const v = 48 + soc * 0.055 - (batteryW / 2 / 50) * 0.01 + (rnd() - 0.5) * 0.02;
      out[id] = {
        battery_voltage: Math.round(v * 100) / 100,
        battery_soc: Math.round(soc + i),
        battery_soh: 99 - i,
        battery_current: Math.round((batteryW / 2 / v) * 10) / 10,
        battery_temperature: Math.round((temp + i * 0.4) * 10) / 10,
        charge_voltage_limit: 53.2,
        charge_current_limit: soc > 95 ? 20 : 100,
        discharge_current_limit: 100,
      };
    }
    return out;
  };
}

/** A TCP proxy in front of the broker that counts both ways. */
function countingProxy(targetPort) {
  const counts = { up: 0, down: 0, connections: 0 };
  const server = net.createServer((client) => {
    counts.connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.on('data', (d) => (counts.up += d.length));
    upstream.on('data', (d) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, counts, port: server.address().port })),
  );
}

async function simulate({ batchMs, makeUplink, compression, days = DAYS }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-telemetry-'));
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(path.join(dir, 'aggregator.sqlite'));
  const clock = new ManualClock(START);
  const uplink = makeUplink(clock);
  const profile = new agg.TelemetryProfile({
    db,
    clock,
    site: 'offgrid-pi',
    devices: DEVICES,
    uplink,
    batchMs,
    ...(compression ? { compression } : {}),
    logger: silent,
  });
  profile.start();
  if (typeof uplink.connection === 'function') {
    while (!uplink.connection().connected) await new Promise((r) => setTimeout(r, 5));
  }
  const model = offGridModel(7);
  const end = START + days * 86_400_000;
  let frames = 0;
  while (clock.now() < end) {
    const now = clock.now();
    const values = model(now);
    for (const id of DEVICES) profile.noteReadings(id, now, values[id]);
    await clock.advance(MINUTE);
    if (profile.status().outbox.pending > 0) {
      frames += 1;
      while (profile.status().outbox.pending > 0) await new Promise((r) => setImmediate(r));
    }
  }
  const status = profile.status();
  await profile.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { frames, samples: status.samples, sent: status.outbox.sent };
}

function estimate({ messages, upBytes, downBytes, connections, pingsPerMonth = 0, probesPerMonth = 0, days = DAYS }) {
  const scale = 30 / days;
  const conns = connections * scale + 30 * RECONNECTS_PER_DAY;
  const tls = conns * TLS_HANDSHAKE_B + messages * scale * 2 * TLS_RECORD_B + pingsPerMonth * 2 * TLS_RECORD_B;
  const dataPackets = messages * scale * (2 + Math.ceil(upBytes / Math.max(1, messages) / MSS));
  const ip = (dataPackets + conns * CONTROL_PACKETS + pingsPerMonth * 3 + probesPerMonth * 2) * PACKET_B;
  const pings = pingsPerMonth * 4;
  return {
    wire: (upBytes + downBytes) * scale,
    tls,
    ip,
    pings,
    total: (upBytes + downBytes) * scale + tls + ip + pings,
  };
}

const mb = (b) => (b / 1e6).toFixed(2).padStart(7);

// --- which compression, on this data ---
{
  const model = offGridModel(7);
  const records = [];
  for (let m = 0; m < 15; m += 1) {
    const t = START + 12 * 3_600_000 + m * MINUTE;
    const values = model(t);
    for (const id of DEVICES) records.push({ k: 's', t, d: id, v: values[id] });
  }
  const envelope = {
    batch_id: '6f1c1a2e-0000-4000-8000-000000000001',
    seq: 1234,
    site: 'offgrid-pi',
    level: 'telemetry',
    sent_at: new Date(START).toISOString(),
    records,
  };
  const cbor = telemetryBatchCbor(envelope);
  const json = Buffer.from(JSON.stringify(envelope));
  console.log('One 15-minute batch, 2 modules x 8 fields (bytes):');
  console.log(
    `  JSON ${json.length}, gzip'd JSON ${compress(json, 'gzip').length}; delta CBOR ${cbor.length}, deflate-raw ${compress(cbor, 'deflate-raw').length}, gzip ${compress(cbor, 'gzip').length}, brotli ${compress(cbor, 'brotli').length}`,
  );
}

console.log(
  `\nTelemetry bytes per month (${DAYS} simulated days scaled to 30; 2 modules x 8 fields, 1 sample a minute)`,
);
console.log('transport batch  compression  frames/mo  on the socket  +TLS est  +TCP/IP est  +pings est    total MB');
const rows = [];
for (const [batchMin, compression] of [
  [1, 'brotli'],
  [5, 'brotli'],
  [15, 'brotli'],
  [15, 'deflate-raw'],
  [15, 'none'],
  [60, 'brotli'],
]) {
  const receiver = await agg.startTelemetryReceiver();
  // The short-batch variants (tens of thousands of POSTs) run fewer days, scaled.
  const days = batchMin < 15 ? Math.min(DAYS, 3) : DAYS;
  const r = await simulate({
    days,
    batchMs: batchMin * MINUTE,
    compression,
    makeUplink: () =>
      new agg.HttpUplink({
        url: receiver.url,
        gzip: false,
        token: 'sps_' + 'k'.repeat(40),
        tcpKeepAliveMs: TCP_KEEPALIVE_MS,
      }),
  });
  await receiver.close();
  const idleMs = batchMin * MINUTE;
  const probesPerMonth = ((30 * 86_400_000) / idleMs) * Math.floor(idleMs / TCP_KEEPALIVE_MS);
  const e = estimate({
    messages: receiver.stats.requests * 2,
    upBytes: receiver.stats.bytesIn,
    downBytes: receiver.stats.bytesOut,
    connections: receiver.stats.connections,
    probesPerMonth,
    days,
  });
  rows.push(['HTTP', batchMin, compression, r, e]);
  console.log(
    `HTTP      ${String(batchMin).padStart(3)}m  ${compression.padEnd(11)}  ${String(Math.round((r.sent * 30) / days)).padStart(9)}  ${mb(e.wire)}        ${mb(e.tls)}   ${mb(e.ip)}     ${mb(e.pings)}   ${mb(e.total)}`,
  );
}

let mosquitto;
try {
  mosquitto = await agg.startMosquitto();
} catch (error) {
  console.log(`MQTT: skipped (${error.message})`);
}
if (mosquitto) {
  for (const batchMin of [15, 60]) {
    const proxy = await countingProxy(mosquitto.port);
    const r = await simulate({
      batchMs: batchMin * MINUTE,
      makeUplink: (clock) =>
        new agg.MqttUplink({
          broker: { url: `mqtt://127.0.0.1:${proxy.port}`, clientId: 'sps-telemetry-bench' },
          topic: 'sps/offgrid-pi/telemetry',
          clock,
          logger: silent,
        }),
    });
    await new Promise((res) => setTimeout(res, 50));
    proxy.server.close();
    const pingsPerMonth = (30 * 86_400) / agg.DEFAULT_TELEMETRY_MQTT_KEEPALIVE_S;
    const e = estimate({
      messages: r.sent,
      upBytes: proxy.counts.up,
      downBytes: proxy.counts.down,
      connections: proxy.counts.connections,
      pingsPerMonth,
    });
    console.log(
      `MQTT      ${String(batchMin).padStart(3)}m  brotli       ${String(Math.round((r.sent * 30) / DAYS)).padStart(9)}  ${mb(e.wire)}        ${mb(e.tls)}   ${mb(e.ip)}     ${mb(e.pings)}   ${mb(e.total)}`,
    );
  }
  await mosquitto.stop();
}
console.log(
  `Estimates: TLS ${TLS_HANDSHAKE_B} B per full handshake (${RECONNECTS_PER_DAY} reconnect a day assumed) + ${TLS_RECORD_B} B per record; TCP/IP ${PACKET_B} B per packet;`,
);
console.log(
  `TCP keep-alive probe every ${TCP_KEEPALIVE_MS / MINUTE} min idle (HTTP); MQTT ping every ${agg.DEFAULT_TELEMETRY_MQTT_KEEPALIVE_S / 60} min.`,
);
