// How long connect() and read() take against the simulator over loopback socketcand, and how many
// requests a read costs. Run after `pnpm exec tsc -b`: node packages/devices/studer/scripts/measure-read.mjs
import { startStuderSimulator, StuderAdapter } from '../dist/index.js';
const sim = await startStuderSimulator({});
const a = new StuderAdapter({ id: 's', connection: { transport: 'socketcand', host: sim.host, port: sim.port } });
let t = performance.now(); await a.connect(); const tc = performance.now() - t;
const times = [];
for (let i = 0; i < 5; i++) { t = performance.now(); await a.read(); times.push(performance.now() - t); }
const before = a.busStats.sent; await a.read(); const perRead = a.busStats.sent - before;
console.log(JSON.stringify({ connectMs: Math.round(tc), readMs: times.map(Math.round), requestsPerRead: perRead, stats: a.busStats }));
await a.close(); await sim.stop();
