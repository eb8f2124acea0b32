/**
 * socketcand frames its messages as `< … >` elements with no line terminator between them (the
 * daemon writes "< hi >", "< ok >", "< frame … >" back to back; linux-can/socketcand doc/protocol.md
 * and src/state_*.c). TCP delivers them in arbitrary chunks, so this reader reassembles elements
 * across chunks and hands out their inner text. It never throws: text outside an element and
 * elements that never close within `maxElementLength` are reported and skipped.
 */
export const DEFAULT_MAX_ELEMENT_LENGTH = 4096;

export type ElementReaderProblem =
  /** Text outside `< >` (or an element cut short by a new `<`). */
  | { readonly kind: 'garbage'; readonly text: string }
  /** An element (or run of garbage) longer than the cap; its rest is skipped up to the next `>`. */
  | { readonly kind: 'overlong'; readonly length: number };

export class SocketcandElementReader {
  private buffer = '';
  /** After an over-long element: drop everything up to and including the next `>`. */
  private skipping = false;

  constructor(
    private readonly onElement: (inner: string) => void,
    private readonly onProblem: (problem: ElementReaderProblem) => void,
    private readonly maxElementLength = DEFAULT_MAX_ELEMENT_LENGTH,
  ) {}

  /** Feeds the next chunk of the stream (latin1 text: one char per byte, so no UTF-8 split issues). */
  push(chunk: string): void {
    const text = this.buffer + chunk;
    // Scans by index and keeps only the unfinished tail: slicing per element would copy a large chunk once per
    // element it holds.
    let pos = 0;
    for (;;) {
      if (this.skipping) {
        const end = text.indexOf('>', pos);
        if (end < 0) {
          pos = text.length;
          break;
        }
        pos = end + 1;
        this.skipping = false;
      }
      const start = text.indexOf('<', pos);
      if (start < 0) {
        // No element begun: keep the text (garbage may be split too), within the cap.
        if (text.length - pos > this.maxElementLength) {
          this.onProblem({ kind: 'overlong', length: text.length - pos });
          pos = text.length;
        }
        break;
      }
      if (start > pos) this.reportGarbage(text.slice(pos, start));
      pos = start;
      // text[pos] is '<'.
      const end = text.indexOf('>', pos + 1);
      const nextStart = text.indexOf('<', pos + 1);
      if (nextStart >= 0 && (end < 0 || nextStart < end)) {
        // An element opened inside another: the first one was broken.
        this.reportGarbage(text.slice(pos, nextStart));
        pos = nextStart;
        continue;
      }
      if (end < 0) {
        if (text.length - pos > this.maxElementLength) {
          this.onProblem({ kind: 'overlong', length: text.length - pos });
          pos = text.length;
          this.skipping = true;
        }
        break;
      }
      const length = end + 1 - pos;
      const inner = text.slice(pos + 1, end);
      pos = end + 1;
      if (length > this.maxElementLength) {
        this.onProblem({ kind: 'overlong', length });
        continue;
      }
      this.onElement(inner.trim());
    }
    this.buffer = text.slice(pos);
  }

  /** Text still waiting for its end (for diagnostics on close). */
  get pending(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = '';
    this.skipping = false;
  }

  private reportGarbage(text: string): void {
    const trimmed = text.trim();
    if (trimmed !== '') this.onProblem({ kind: 'garbage', text: trimmed.slice(0, 200) });
  }
}
