// Benchmark: CAN frames through the socketcand transport on loopback, both ways: a station on a
// VirtualCanBus → SocketcandServer → the production socketcand client, and the client's `< send >`
// back to the station. A 500 kbit/s bus carries at most ~4000 eight-byte frames/s, so this shows the
// headroom. Prints frames/s; asserts nothing. Needs a build (pnpm exec tsc -b).
// SPS_BENCH_FRAMES sets the frames per direction (default 100000).
/* global setImmediate, setTimeout */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { VirtualCanBus, SocketcandServer, SocketcandCanBus, canFrame } = require('../packages/can/dist/index.js');

const FRAMES = Number(process.env.SPS_BENCH_FRAMES ?? 100_000);
const frame = canFrame(0x351, [0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01]);
const yieldNow = () => new Promise((resolve) => setImmediate(resolve));
const until = async (check) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
};

const virtual = new VirtualCanBus();
const server = new SocketcandServer({ bus: virtual });
const port = await server.start();
const station = virtual.attach('station');
await station.open();
const client = new SocketcandCanBus({ host: '127.0.0.1', port });
let atClient = 0;
let atStation = 0;
client.onFrame(() => (atClient += 1));
station.onFrame(() => (atStation += 1));
await client.open();

async function measure(label, send, received) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i += 1) {
    await send();
    if (i % 1000 === 999) await yieldNow();
  }
  await until(() => received() >= FRAMES);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${label}: ${FRAMES} frames in ${ms.toFixed(0)} ms = ${Math.round((FRAMES / ms) * 1000)} frames/s`);
}

await measure(
  'gateway → client (rawmode < frame >)',
  () => station.send(frame),
  () => atClient,
);
await measure(
  'client → gateway (< send >)',
  () => client.send(frame),
  () => atStation,
);
console.log(`client stats: ${JSON.stringify(client.stats)}`);
await client.close();
await server.stop();
