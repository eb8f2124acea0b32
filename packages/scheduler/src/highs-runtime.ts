import loadHighs, { type Highs } from 'highs';

/**
 * One HiGHS WebAssembly runtime per process, loaded once: compiling the module costs far more than
 * a solve. Every model is disposed right after its solve (the Wasm heap is not garbage
 * collected), so the heap stays at its high-water mark. A Wasm heap never shrinks, so if it ever
 * passes `maxHeapBytes` (one huge scenario, or a leak in a future HiGHS build) a fresh runtime is
 * loaded in the background and swapped in. README has the measurements over many solves.
 */
export interface HighsRuntimeStats {
  readonly loads: number;
  readonly solves: number;
  readonly heapBytes: number;
}

const DEFAULT_MAX_HEAP_BYTES = 256 * 1024 * 1024;

let loaded: Highs | null = null;
let loading: Promise<Highs> | null = null;
let loads = 0;
let solves = 0;
let maxHeapBytes = DEFAULT_MAX_HEAP_BYTES;

export function setHighsHeapLimit(bytes: number): void {
  maxHeapBytes = bytes;
}

function startLoad(): Promise<Highs> {
  if (!loading) {
    loads += 1;
    loading = loadHighs().then(
      (h) => {
        loaded = h;
        loading = null;
        return h;
      },
      (e: unknown) => {
        // A failed load must not poison later attempts.
        loading = null;
        throw e;
      },
    );
  }
  return loading;
}

/** The loaded runtime (loading it the first time). */
export async function getHighs(): Promise<Highs> {
  return loaded ?? startLoad();
}

/** The runtime if already loaded: synchronous planning after `loadScheduler`. */
export function loadedHighs(): Highs | null {
  return loaded;
}

/** Called after each solve: counts it, and replaces a runtime whose heap has grown too large. */
export function noteSolve(highs: Highs): void {
  solves += 1;
  if (highs.memoryBytes > maxHeapBytes && highs === loaded) {
    void startLoad().catch(() => undefined);
  }
}

export function highsRuntimeStats(): HighsRuntimeStats {
  return { loads, solves, heapBytes: loaded?.memoryBytes ?? 0 };
}
