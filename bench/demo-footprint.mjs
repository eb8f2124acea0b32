// Resident memory and CPU of the add-on, sampled from /proc for 60 s after a warm-up. Two cases:
//  1. `sps demo`: everything `pnpm start` runs in ONE process — the add-on, the optimiser and every
//     simulator (Sungrow, Bluetti, two Shellys, an INA260), so simulator work is counted too;
//  2. `sps run`: the add-on alone as it runs in Home Assistant (one Sungrow polled every 5 s, a flat
//     tariff so the optimiser plans and drives it), with the simulator in another process (not counted).
// Prints figures; asserts nothing. Targets from issue 2: under 120 MB RSS and under 2 % of one core.
// Linux only. SPS_BENCH_SECONDS and SPS_BENCH_WARMUP_S change the window.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'addon/dist/cli.js');
const SECONDS = Number(process.env.SPS_BENCH_SECONDS ?? 60);
// Long enough for the first plans (the station's first MIP takes seconds) to be behind us.
const WARM_UP_S = Number(process.env.SPS_BENCH_WARMUP_S ?? 30);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** VmRSS in MB. */
function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function start(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (child.output += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (child.output += d));
  return child;
}

async function waitFor(child, pattern) {
  for (let i = 0; !pattern.test(child.output); i++) {
    if (i > 300 || child.exitCode !== null) throw new Error(`did not start:\n${child.output}`);
    await sleep(100);
  }
}

async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(6000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function sample(child) {
  await sleep(WARM_UP_S * 1000);
  const samples = [];
  const cpuStart = cpuSeconds(child.pid);
  const t0 = Date.now();
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    samples.push(rssMb(child.pid));
  }
  const elapsed = (Date.now() - t0) / 1000;
  return {
    cpuPct: ((cpuSeconds(child.pid) - cpuStart) / elapsed) * 100,
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    peak: Math.max(...samples),
  };
}

function report(title, r) {
  console.log(
    `${title}: RSS mean ${r.mean.toFixed(1)} MB · peak ${r.peak.toFixed(1)} MB (target < 120 MB) · ` +
      `CPU ${r.cpuPct.toFixed(2)} % of one core (target < 2 %)`,
  );
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-footprint-'));
console.log('# footprint: resident memory and CPU of the add-on process, idle (no clients)');
console.log(`problem: ${SECONDS} one-second samples after a ${WARM_UP_S} s warm-up`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} · ${os.cpus().length} cores · node ${process.version}`);
let demo, simulator, addon;
try {
  demo = start(['demo', '--port', '0', '--data-dir', path.join(dataDir, 'demo')]);
  await waitFor(demo, /demo: open http/);
  report('sps demo (add-on + optimiser + 5 simulated devices, one process)', await sample(demo));
  await stop(demo);

  simulator = start(['simulate', 'sungrow-sh', '--port', '0']);
  await waitFor(simulator, /listening on 127\.0\.0\.1:(\d+)/);
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(simulator.output)[1];
  const options = path.join(dataDir, 'options.yaml');
  writeFileSync(
    options,
    [
      'devices:',
      '  - name: Inverter',
      '    driver: sungrow-sh',
      '    host: 127.0.0.1',
      `    port: ${port}`,
      'tariff:',
      '  provider: flat',
      '  currency: AUD',
      '  import_rate: 0.3',
      '  export_rate: 0.05',
      '',
    ].join('\n'),
  );
  addon = start(['run', '--config', options, '--data-dir', path.join(dataDir, 'run'), '--port', '0']);
  await waitFor(addon, /listening on http/);
  report('sps run (the add-on alone: one inverter, optimiser on a flat tariff)', await sample(addon));
} finally {
  await stop(demo);
  await stop(addon);
  await stop(simulator);
  rmSync(dataDir, { recursive: true, force: true });
}
