import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ManualClock } from '@sps/core';
import {
  canConnectionSchema,
  CandumpReplayBus,
  openCanBus,
  parseCandumpLine,
  type CandumpProblem,
  type CanTransportProblem,
  type CanFrame,
} from '@sps/can';
import { until } from './helpers';

const PYLON_351 = [0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01];

describe('parseCandumpLine', () => {
  it('reads the log format (candump -l) with its timestamp', () => {
    expect(parseCandumpLine('(1700000000.000000) can0 351#1402B0044006C201')).toEqual({
      kind: 'frame',
      interface: 'can0',
      frame: { id: 0x351, extended: false, data: Uint8Array.from(PYLON_351), timestampMs: 1_700_000_000_000 },
    });
    expect(parseCandumpLine('(1700000000.250000) can1 1806E5F4#0102')).toMatchObject({
      kind: 'frame',
      interface: 'can1',
      frame: { id: 0x1806e5f4, extended: true, timestampMs: 1_700_000_000_250 },
    });
    expect(parseCandumpLine('(1.5) vcan0 123#')).toMatchObject({ kind: 'frame', frame: { data: new Uint8Array() } });
    expect(parseCandumpLine('(1.5) can0 123#11.22.33')).toMatchObject({
      frame: { data: Uint8Array.from([0x11, 0x22, 0x33]) },
    });
  });

  it('reads the screen format, with or without a timestamp and ASCII column', () => {
    expect(parseCandumpLine('  can0  351   [8]  14 02 B0 04 40 06 C2 01')).toEqual({
      kind: 'frame',
      interface: 'can0',
      frame: { id: 0x351, extended: false, data: Uint8Array.from(PYLON_351) },
    });
    expect(parseCandumpLine(' (1700000000.500000)  can0  1806E5F4   [2]  01 02')).toMatchObject({
      frame: { id: 0x1806e5f4, extended: true, timestampMs: 1_700_000_000_500 },
    });
    expect(parseCandumpLine("  can0  35E   [8]  50 59 4C 4F 4E 20 20 20   'PYLON   '")).toMatchObject({
      kind: 'frame',
      frame: { id: 0x35e },
    });
    expect(parseCandumpLine('  can0  305   [0] ')).toMatchObject({ kind: 'frame', frame: { data: new Uint8Array() } });
  });

  it('skips remote, CAN FD and error frames, blank lines and comments with a reason', () => {
    expect(parseCandumpLine('(1.0) can0 123#R')).toEqual({ kind: 'skip', reason: 'remote frame' });
    expect(parseCandumpLine('(1.0) can0 123#R4')).toEqual({ kind: 'skip', reason: 'remote frame' });
    expect(parseCandumpLine('  can0  123   [4]  remote request')).toEqual({ kind: 'skip', reason: 'remote frame' });
    expect(parseCandumpLine('(1.0) can0 123##1AABB')).toMatchObject({ kind: 'skip' });
    expect(parseCandumpLine('(1.0) can0 20000004#0000000000000000')).toEqual({ kind: 'skip', reason: 'error frame' });
    expect(parseCandumpLine('   ')).toMatchObject({ kind: 'skip' });
    expect(parseCandumpLine('# captured on the Pi')).toMatchObject({ kind: 'skip' });
  });

  it.each([
    '(1700000000.000000) can0 351#1402B0044006C20',
    '(1700000000.000000) can0 351#1402B0044006C2010203',
    '(17000x) can0 351#14',
    'can0 3512#14',
    'can0 800 [1] 00',
    '  can0  351   [8]  14 02 B0',
    '  can0  351   [9]  14 02 B0 04 40 06 C2 01 00',
    '  can0  351   [2]  14 0G',
    '  can0  351   [1]  14 extra',
    'hello',
    '(1.0) can0 351#14 and more',
  ])('says why "%s" is malformed', (line) => {
    const parsed = parseCandumpLine(line);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.reason.length).toBeGreaterThan(0);
  });

  it('property: any text line yields a frame, a skip or a reason, never a throw', () => {
    const token = fc.oneof(
      fc.constantFrom('can0', '351#', '351#1402', '[8]', '[2]', '(1.5)', 'R', '#', 'remote', '14', 'FF', "'ab'"),
      fc.stringMatching(/^[0-9A-Fa-f#.[\]()R]{0,20}$/),
      fc.string({ maxLength: 10 }),
    );
    const line = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.array(token, { maxLength: 14 }).map((t) => t.join(' ')),
    );
    fc.assert(
      fc.property(line, (text) => {
        const parsed = parseCandumpLine(text);
        if (parsed.kind === 'frame') {
          expect(parsed.frame.data.length).toBeLessThanOrEqual(8);
          expect(parsed.frame.id).toBeLessThanOrEqual(parsed.frame.extended ? 0x1fffffff : 0x7ff);
        } else {
          expect(parsed.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('CandumpReplayBus', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sps-candump-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function log(name: string, lines: readonly string[]): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, `${lines.join('\n')}\n`);
    return file;
  }

  it('replays the log format at the recorded pace × replay_speed on the injected clock, skipping a malformed line by number', async () => {
    const file = await log('paced.log', [
      '(1700000000.000000) can0 351#1402B0044006C201',
      '(1700000000.000000) can0 355#1A00640000000000',
      'this line is not candump',
      '(1700000001.000000) can0 356#4E13000014000000',
      '(1700000001.000000) can0 123#R',
      '(1700000003.000000) can0 35E#50594C4F4E202020',
    ]);
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const problems: CanTransportProblem[] = [];
    const bus = openCanBus(canConnectionSchema.parse({ transport: 'candump', file, replay_speed: 2 }), {
      clock,
      onProblem: (p) => problems.push(p),
    });
    expect(bus.label).toBe(`candump ${file}`);
    const frames: CanFrame[] = [];
    const downs: string[] = [];
    bus.onFrame((f) => frames.push(f));
    bus.onDown((r) => downs.push(r));
    await bus.open();
    expect(problems).toEqual([
      { kind: 'malformed', line: 3, text: 'this line is not candump', reason: expect.any(String) as string },
    ]);
    await clock.advance(0);
    expect(frames.map((f) => f.id)).toEqual([0x351, 0x355]);
    expect(frames[0]?.timestampMs).toBe(1_700_000_000_000);
    await clock.advance(499);
    expect(frames).toHaveLength(2);
    await clock.advance(1); // 1 s recorded at speed 2
    expect(frames.map((f) => f.id)).toEqual([0x351, 0x355, 0x356]);
    await clock.advance(999);
    expect(frames).toHaveLength(3);
    expect(bus.isOpen).toBe(true);
    await clock.advance(1);
    expect(frames.map((f) => f.id)).toEqual([0x351, 0x355, 0x356, 0x35e]);
    expect(downs).toEqual([`candump ${file}: end of the log (4 frames replayed)`]);
    expect(bus.isOpen).toBe(false);
  });

  it('replays the screen format as fast as possible with speed 0; send is a read-only error', async () => {
    const file = await log('screen.log', [
      '  can0  351   [8]  14 02 B0 04 40 06 C2 01',
      '  can0  355   [4]  1A 00 64 00',
      '  can0  356   [6]  4E 13 00 00 14',
      '  can0  1806E5F4   [1]  AA',
    ]);
    const problems: CandumpProblem[] = [];
    const bus = new CandumpReplayBus({ file, replaySpeed: 0, onProblem: (p) => problems.push(p) });
    const frames: CanFrame[] = [];
    const downs: string[] = [];
    bus.onFrame((f) => frames.push(f));
    bus.onDown((r) => downs.push(r));
    await bus.open();
    await until(() => downs.length === 1, 'the end of the replay');
    expect(frames.map((f) => [f.id, f.extended])).toEqual([
      [0x351, false],
      [0x355, false],
      [0x1806e5f4, true],
    ]);
    expect(problems).toEqual([
      { kind: 'malformed', line: 3, text: '  can0  356   [6]  4E 13 00 00 14', reason: '[6] but 5 data bytes' },
    ]);
    await expect(bus.send()).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringContaining('read-only') as string,
    });
    // Opening again replays from the start.
    await bus.open();
    await until(() => downs.length === 2, 'the second replay');
    expect(frames).toHaveLength(6);
  });

  it('a log of another interface is replayed whole with a note; a missing file or a log without frames fails open', async () => {
    const file = await log('can1.log', ['(1.0) can1 351#01', '(1.5) can1 355#02']);
    const problems: CandumpProblem[] = [];
    const bus = new CandumpReplayBus({ file, replaySpeed: 0, onProblem: (p) => problems.push(p) });
    const frames: CanFrame[] = [];
    bus.onFrame((f) => frames.push(f));
    await bus.open();
    await until(() => frames.length === 2, 'the can1 frames');
    expect(problems).toEqual([{ kind: 'note', text: 'no can0 frames in the log; replaying every interface: can1' }]);

    const missing = new CandumpReplayBus({ file: join(dir, 'nope.log') });
    await expect(missing.open()).rejects.toMatchObject({
      kind: 'connection_refused',
      message: expect.stringContaining('cannot read the log') as string,
    });
    const empty = new CandumpReplayBus({ file: await log('empty.log', ['garbage', '']) });
    await expect(empty.open()).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringContaining('no CAN frames in the log (1 malformed lines)') as string,
    });
  });

  it('close() stops a paced replay without onDown', async () => {
    const file = await log('close.log', ['(1.0) can0 351#01', '(5.0) can0 355#02']);
    const clock = new ManualClock();
    const bus = new CandumpReplayBus({ file, clock });
    const frames: CanFrame[] = [];
    const downs: string[] = [];
    bus.onFrame((f) => frames.push(f));
    bus.onDown((r) => downs.push(r));
    await bus.open();
    await clock.advance(0);
    await bus.close();
    await clock.advance(10_000);
    expect(frames).toHaveLength(1);
    expect(downs).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
