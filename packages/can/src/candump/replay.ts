import { readFile } from 'node:fs/promises';
import { DeviceError, systemClock, toDeviceError, type Clock, type TimerHandle } from '@sps/core';
import type { CanBus } from '../can-bus.js';
import type { CanFrame } from '../frame.js';
import { Listeners } from '../listeners.js';
import { parseCandumpLine } from './parse.js';

/** A log line the replay skipped: malformed (with its 1-based line number), or a note about the log as a whole. */
export type CandumpProblem =
  | { readonly kind: 'malformed'; readonly line: number; readonly text: string; readonly reason: string }
  | { readonly kind: 'note'; readonly text: string };

export interface CandumpReplayOptions {
  /** Path of the candump log. */
  readonly file: string;
  /**
   * Which interface's frames to replay (default can0). A log that has none for it (captured on
   * can1, say) is replayed whole, with a note naming the interfaces it has.
   */
  readonly interface?: string;
  /** Recorded pace × this (2 = twice as fast); 0 = every frame at once, as fast as possible. Default 1. */
  readonly replaySpeed?: number;
  /** Paces the replay (default: the system clock). */
  readonly clock?: Clock;
  readonly onProblem?: (problem: CandumpProblem) => void;
  readonly onListenerError?: (err: unknown) => void;
}

/** How many frames go out per macrotask at speed 0, so a huge log does not starve the event loop. */
const FAST_BATCH = 500;

/**
 * A read-only CanBus that replays a candump capture: for diagnosing a user's log offline with the
 * same drivers that read the live bus. Frames keep the recorded timestamp. The end of the log is a
 * lost link (onDown "end of the log"): a driver then shows the reason rather than stale readings,
 * and opening again replays from the start. Lines without a timestamp follow the previous frame at once.
 */
export class CandumpReplayBus implements CanBus {
  readonly label: string;
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly frames: Listeners<CanFrame>;
  private readonly downs: Listeners<string>;
  private opened = false;
  /** Bumped on every open/close so a timer of an earlier replay does nothing. */
  private generation = 0;
  private timer: TimerHandle | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(private readonly options: CandumpReplayOptions) {
    this.label = `candump ${options.file}`;
    this.clock = options.clock ?? systemClock;
    this.speed = options.replaySpeed ?? 1;
    this.frames = new Listeners(options.onListenerError);
    this.downs = new Listeners(options.onListenerError);
  }

  get isOpen(): boolean {
    return this.opened;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    const generation = ++this.generation;
    const frames = await this.load();
    if (generation !== this.generation) throw new DeviceError('not_connected', `${this.label}: closed while opening`);
    this.opened = true;
    this.start(frames, generation);
  }

  send(): Promise<void> {
    return Promise.reject(
      new DeviceError('unsupported', `${this.label}: a candump replay is read-only; frames cannot be sent`),
    );
  }

  onFrame(listener: (frame: CanFrame) => void): () => void {
    return this.frames.add(listener);
  }

  onDown(listener: (reason: string) => void): () => void {
    return this.downs.add(listener);
  }

  close(): Promise<void> {
    this.generation += 1;
    this.opened = false;
    this.stopTimers();
    return Promise.resolve();
  }

  private report(problem: CandumpProblem): void {
    try {
      this.options.onProblem?.(problem);
    } catch {
      // Diagnostics must not break the replay.
    }
  }

  private async load(): Promise<CanFrame[]> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'latin1');
    } catch (err) {
      const mapped = toDeviceError(err);
      throw new DeviceError('connection_refused', `${this.label}: cannot read the log (${mapped.message})`, {
        cause: err,
      });
    }
    const wanted = this.options.interface ?? 'can0';
    const byInterface = new Map<string, CanFrame[]>();
    let malformed = 0;
    text.split(/\r?\n/).forEach((line, index) => {
      const parsed = parseCandumpLine(line);
      if (parsed.kind === 'malformed') {
        malformed += 1;
        this.report({ kind: 'malformed', line: index + 1, text: line.slice(0, 200), reason: parsed.reason });
      } else if (parsed.kind === 'frame') {
        const list = byInterface.get(parsed.interface) ?? [];
        list.push(parsed.frame);
        byInterface.set(parsed.interface, list);
      }
    });
    const own = byInterface.get(wanted);
    if (own !== undefined) return own;
    const all = [...byInterface.values()].flat();
    if (all.length === 0) {
      throw new DeviceError(
        'bad_response',
        `${this.label}: no CAN frames in the log${malformed > 0 ? ` (${malformed} malformed lines)` : ''}`,
      );
    }
    this.report({
      kind: 'note',
      text: `no ${wanted} frames in the log; replaying every interface: ${[...byInterface.keys()].join(', ')}`,
    });
    // Merged in recorded order when the lines carry timestamps (a stable sort keeps the file order otherwise).
    return all.sort((a, b) => (a.timestampMs ?? 0) - (b.timestampMs ?? 0));
  }

  private start(frames: readonly CanFrame[], generation: number): void {
    if (this.speed === 0) {
      this.replayFast(frames, 0, generation);
      return;
    }
    const startedAt = this.clock.now();
    const firstRecorded = frames.find((f) => f.timestampMs !== undefined)?.timestampMs ?? 0;
    let index = 0;
    let lastOffset = 0;
    const step = (): void => {
      if (generation !== this.generation) return;
      // Every frame due by now goes out in this step.
      while (index < frames.length) {
        const frame = frames[index];
        if (frame === undefined) break;
        // Out-of-order timestamps (a merged or hand-edited log) never move the replay back.
        const offset = Math.max(
          lastOffset,
          frame.timestampMs === undefined ? lastOffset : (frame.timestampMs - firstRecorded) / this.speed,
        );
        if (startedAt + offset > this.clock.now()) {
          this.timer = this.clock.setTimeout(step, startedAt + offset - this.clock.now());
          return;
        }
        lastOffset = offset;
        index += 1;
        this.frames.emit(frame);
        if (generation !== this.generation) return; // a listener closed the bus
      }
      this.finish(frames.length, generation);
    };
    this.timer = this.clock.setTimeout(step, 0);
  }

  private replayFast(frames: readonly CanFrame[], from: number, generation: number): void {
    this.immediate = setImmediate(() => {
      this.immediate = null;
      const end = Math.min(frames.length, from + FAST_BATCH);
      for (let i = from; i < end; i += 1) {
        if (generation !== this.generation) return;
        const frame = frames[i];
        if (frame !== undefined) this.frames.emit(frame);
      }
      if (generation !== this.generation) return;
      if (end < frames.length) this.replayFast(frames, end, generation);
      else this.finish(frames.length, generation);
    });
  }

  private finish(count: number, generation: number): void {
    if (generation !== this.generation) return;
    this.opened = false;
    this.stopTimers();
    this.downs.emit(`${this.label}: end of the log (${count} frames replayed)`);
  }

  private stopTimers(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }
}
