import { appendFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RelayChange, WriteLedger } from '@sps/control';
import { z } from 'zod';

/** The file in the data dir that the add-on and `sps write` share. */
export const WRITE_LEDGER_FILE = 'write-ledger.jsonl';
/** Write lines older than this are of no use to a per-minute budget. */
const WRITE_KEEP_MS = 60_000;
/** This process's own lines are kept this long in memory (for when the file fails; relay holds last up to a day). */
const OWN_KEEP_MS = 24 * 3_600_000;
/** Past this size the file is rewritten with only the lines still of use. */
const COMPACT_AT_BYTES = 64 * 1024;

const Line = z.union([
  z.strictObject({ d: z.string(), t: z.number() }),
  z.strictObject({ d: z.string(), t: z.number(), c: z.number().int(), on: z.boolean() }),
]);
type Line = z.infer<typeof Line>;

/**
 * The write budget as an append-only file of JSON lines (`{"d":device,"t":ms}` per write,
 * `{"d","t","c":channel,"on"}` per relay change) in the data dir, so that the add-on and any
 * number of `sps write` processes count against one budget and one relay hold per device.
 *
 * Limits, by design: there is no lock between processes, so two processes that check at the same
 * instant can both take the last slot (the overshoot is at most one write per extra process);
 * compaction (past 64 kB) can drop a line another process appends during the rename. Compaction
 * keeps the last minute of writes and each relay channel's latest change. When the file cannot be read or written (no data dir, read-only), the
 * ledger keeps this process's own writes in memory and reports it once through `onError`.
 */
export class FileWriteLedger implements WriteLedger {
  readonly file: string;
  private readonly own: Line[] = [];
  private failed = false;

  constructor(
    dataDir: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.file = path.join(dataDir, WRITE_LEDGER_FILE);
  }

  /** A ledger in `dataDir` when that directory exists; none (this process only) otherwise. */
  static inExistingDir(dataDir: string, onError?: (err: unknown) => void): FileWriteLedger | undefined {
    return existsSync(dataDir) ? new FileWriteLedger(dataDir, onError) : undefined;
  }

  record(deviceId: string, at: number): void {
    this.append({ d: deviceId, t: at });
  }

  recent(deviceId: string, since: number): readonly number[] {
    return this.lines()
      .filter((l) => l.d === deviceId && !('c' in l) && l.t >= since)
      .map((l) => l.t)
      .sort((a, b) => a - b);
  }

  recordRelayChange(deviceId: string, channel: number, change: RelayChange): void {
    this.append({ d: deviceId, t: change.at, c: channel, on: change.on });
  }

  lastRelayChange(deviceId: string, channel: number): RelayChange | undefined {
    let last: RelayChange | undefined;
    for (const l of this.lines()) {
      if (l.d !== deviceId || !('c' in l) || l.c !== channel) continue;
      if (!last || l.t >= last.at) last = { on: l.on, at: l.t };
    }
    return last;
  }

  private append(line: Line): void {
    this.own.push(line);
    while (this.own.length > 0 && line.t - (this.own[0]?.t ?? line.t) >= OWN_KEEP_MS) this.own.shift();
    try {
      appendFileSync(this.file, JSON.stringify(line) + '\n', { mode: 0o600 });
      if (statSync(this.file).size > COMPACT_AT_BYTES) this.compact(line.t);
    } catch (err) {
      this.fail(err);
    }
  }

  private lines(): readonly Line[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      const missing = typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
      if (!missing) this.fail(err);
      return this.own;
    }
    if (this.failed) return this.own;
    const out: Line[] = [];
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        const parsed = Line.safeParse(JSON.parse(raw));
        // A torn or foreign line is skipped: the ledger only ever errs towards fewer writes counted
        // by one line, never towards refusing everything.
        if (parsed.success) out.push(parsed.data);
      } catch {
        continue;
      }
    }
    return out;
  }

  /** Keeps the writes of the last minute and each relay channel's latest change: all a check needs. */
  private compact(now: number): void {
    const latestRelay = new Map<string, Line>();
    const writes: Line[] = [];
    for (const l of this.lines()) {
      if ('c' in l) {
        const key = `${l.d}#${l.c}`;
        if ((latestRelay.get(key)?.t ?? -Infinity) <= l.t) latestRelay.set(key, l);
      } else if (now - l.t < WRITE_KEEP_MS) {
        writes.push(l);
      }
    }
    const keep = [...latestRelay.values(), ...writes];
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, keep.map((l) => JSON.stringify(l) + '\n').join(''), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(err);
  }
}
