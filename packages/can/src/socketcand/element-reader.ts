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
    this.buffer += chunk;
    for (;;) {
      if (this.skipping) {
        const end = this.buffer.indexOf('>');
        if (end < 0) {
          this.buffer = '';
          return;
        }
        this.buffer = this.buffer.slice(end + 1);
        this.skipping = false;
      }
      const start = this.buffer.indexOf('<');
      if (start < 0) {
        // No element begun: keep the text (garbage may be split too), within the cap.
        if (this.buffer.length > this.maxElementLength) {
          this.onProblem({ kind: 'overlong', length: this.buffer.length });
          this.buffer = '';
        }
        return;
      }
      if (start > 0) {
        this.reportGarbage(this.buffer.slice(0, start));
        this.buffer = this.buffer.slice(start);
      }
      // The buffer starts with '<'.
      const end = this.buffer.indexOf('>');
      const nextStart = this.buffer.indexOf('<', 1);
      if (nextStart >= 0 && (end < 0 || nextStart < end)) {
        // An element opened inside another: the first one was broken.
        this.reportGarbage(this.buffer.slice(0, nextStart));
        this.buffer = this.buffer.slice(nextStart);
        continue;
      }
      if (end < 0) {
        if (this.buffer.length > this.maxElementLength) {
          this.onProblem({ kind: 'overlong', length: this.buffer.length });
          this.buffer = '';
          this.skipping = true;
        }
        return;
      }
      const inner = this.buffer.slice(1, end);
      this.buffer = this.buffer.slice(end + 1);
      if (end + 1 > this.maxElementLength) {
        this.onProblem({ kind: 'overlong', length: end + 1 });
        continue;
      }
      this.onElement(inner.trim());
    }
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
