/**
 * The outbox's view of a transport: hand it one encoded batch, learn whether the receiver took
 * it. The outbox owns ordering, persistence and back-off; a transport only classifies answers.
 */

/** The batch envelope every receiver gets (issue 11): records are whatever the producer put in. */
export interface BatchEnvelope {
  readonly batch_id: string;
  readonly seq: number;
  readonly site: string;
  readonly level: string;
  readonly sent_at: string;
  readonly records: readonly unknown[];
}

/** One batch ready for the wire. */
export interface EncodedBatch {
  readonly batchId: string;
  readonly seq: number;
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** Turns an envelope into bytes. JSON by default; a compact profile (CBOR, deltas) plugs in here. */
export interface BatchEncoder {
  readonly contentType: string;
  encode(envelope: BatchEnvelope): Uint8Array;
}

export const jsonBatchEncoder: BatchEncoder = {
  contentType: 'application/json',
  encode: (envelope) => Buffer.from(JSON.stringify(envelope), 'utf8'),
};

export type UplinkResult =
  /** 2xx: the receiver has it; the batch leaves the outbox. */
  | { readonly kind: 'ack'; readonly status: number }
  /** Try again later (5xx, 408, 429, timeout, connection refused); `retryAfterMs` from the receiver. */
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs: number | null }
  /** The receiver refuses this batch (4xx other than 408/429); asking at once again will not help. */
  | { readonly kind: 'refused'; readonly status: number; readonly error: string };

export interface Uplink {
  /** Never rejects: every failure is a result. Aborting the signal ends the attempt as a retry. */
  send(batch: EncodedBatch, signal: AbortSignal): Promise<UplinkResult>;
  /** Optional: connects ahead of the first batch (a broker session); the outbox calls it on start. */
  start?(): void;
  /** Drops the kept-alive connection. */
  close(): Promise<void>;
}
