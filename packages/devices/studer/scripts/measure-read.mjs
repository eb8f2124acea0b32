// How long connect() and read() take against the simulator over loopback socketcand, and how many
// requests a read costs. Run after `pnpm exec tsc -b`: node packages/devices/studer/scripts/measure-read.mjs
import { performance } from 'node:perf_hooks';
import { startStuderSimulator, StuderAdapter } from '../dist/index.js';

const sim = await startStuderSimulator({});
const adapter = new StuderAdapter({ id: 's', connection: { transport: 'socketcand', host: sim.host, port: sim.port } });
let t = performance.now();
await adapter.connect();
const connectMs = Math.round(performance.now() - t);
const readMs = [];
for (let i = 0; i < 5; i++) {
  t = performance.now();
  await adapter.read();
  readMs.push(Math.round(performance.now() - t));
}
const before = adapter.busStats.sent;
await adapter.read();
const requestsPerRead = adapter.busStats.sent - before;
console.log(JSON.stringify({ connectMs, readMs, requestsPerRead, stats: adapter.busStats }));
await adapter.close();
await sim.stop();
