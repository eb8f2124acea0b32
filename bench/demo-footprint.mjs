// Resident memory and CPU of `sps demo` (add-on + in-process Sungrow simulator, polling every
// 2 s, no browser attached) sampled from /proc for 60 s. Prints figures; asserts nothing.
// Targets from issue 2: under 120 MB RSS and under 2 % of one core. Linux only.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.SPS_BENCH_SECONDS ?? 60);
const WARM_UP_S = 5;
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

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sps-bench-demo-'));
const child = spawn(
  process.execPath,
  [path.join(ROOT, 'addon/dist/cli.js'), 'demo', '--port', '0', '--data-dir', dataDir],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let output = '';
child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
child.stderr.setEncoding('utf8').on('data', (d) => (output += d));

try {
  for (let i = 0; !/demo: open http/.test(output); i++) {
    if (i > 300 || child.exitCode !== null) throw new Error(`the demo did not start:\n${output}`);
    await sleep(100);
  }
  await sleep(WARM_UP_S * 1000);
  const samples = [];
  const cpuStart = cpuSeconds(child.pid);
  const t0 = Date.now();
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    samples.push(rssMb(child.pid));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpuPct = ((cpuSeconds(child.pid) - cpuStart) / elapsed) * 100;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const peak = Math.max(...samples);

  console.log('# demo-footprint: `sps demo` idle (add-on + simulator in one process, 2 s polls, no clients)');
  console.log(`problem: ${SECONDS} one-second samples after a ${WARM_UP_S} s warm-up`);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} · ${os.cpus().length} cores · node ${process.version}`);
  console.log(`RSS mean ${mean.toFixed(1)} MB · peak ${peak.toFixed(1)} MB (target < 120 MB)`);
  console.log(`CPU ${cpuPct.toFixed(2)} % of one core (target < 2 %)`);
} finally {
  child.kill('SIGTERM');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(6000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
