import type { KasaDialect } from '../codec/snapshot.js';

export type TransportKind = 'xor' | 'klap';

/**
 * One way of carrying a plug's JSON text. The dialect inside is fixed by the transport:
 * XOR always carries IOT JSON; KLAP v1 carries IOT JSON, KLAP v2 the SMART dialect.
 * Every failure is a DeviceError.
 */
export interface KasaTransport {
  readonly kind: TransportKind;
  /** Reach the plug (KLAP: handshake) and learn which dialect it speaks. */
  open(): Promise<KasaDialect>;
  /** Send one JSON request text and return the answer's JSON text. */
  request(json: string): Promise<string>;
  close(): Promise<void>;
}

/** Runs jobs one after another: plugs handle one request at a time, and KLAP sequence numbers must stay in order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.tail.then(job, job);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
