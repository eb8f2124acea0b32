/**
 * POSTs encoded batches to the aggregator's uplink URL over one kept-alive connection.
 * The receiver's answer is classified for the outbox; its body is read only up to a small
 * bound and only to quote it in an error (it is not trusted for anything else).
 */
import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { parseRetryAfter } from './backoff.js';
import { parseUplinkUrl } from './uplink-url.js';
import type { EncodedBatch, Uplink, UplinkResult } from './uplink.js';

export interface HttpUplinkOptions {
  /** Validated: https://, or http:// to loopback/LAN only. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`; none when empty. */
  readonly token?: string;
  /**
   * gzip the body (`Content-Encoding: gzip`). On by default: the JSON of a batch repeats its keys
   * in every record and shrinks several-fold, which is what keeps `full` inside a capped link.
   */
  readonly gzip?: boolean;
  /** An attempt that has not finished by then is abandoned and retried later. Default 30 s. */
  readonly timeoutMs?: number;
  /** How much of a response body is read (for an error message). Default 4 KiB. */
  readonly maxResponseBytes?: number;
  readonly userAgent?: string;
  /** PEM of a private CA that signed the receiver's certificate (an https receiver on the LAN). */
  readonly ca?: string;
  /**
   * Idle time before a TCP keep-alive probe on the kept-alive socket (Node's Agent `keepAliveMsecs`,
   * default 1000). Linux repeats the probe every time the socket has been idle that long, so at 1 s
   * an idle connection costs a probe and its ACK (~104 B of TCP/IP headers) every second; remote
   * telemetry on a capped link sets minutes.
   */
  readonly tcpKeepAliveMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 4096;

export class HttpUplink implements Uplink {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly gzip: boolean;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpUplinkOptions) {
    this.url = parseUplinkUrl(options.url);
    this.gzip = options.gzip ?? true;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    // One socket, kept alive between batches: the outbox sends one batch at a time anyway, and a
    // reused connection saves the TCP (and TLS) handshake on every POST.
    const agentOptions = {
      keepAlive: true,
      maxSockets: 1,
      maxFreeSockets: 1,
      ...(options.tcpKeepAliveMs === undefined ? {} : { keepAliveMsecs: options.tcpKeepAliveMs }),
    };
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...(options.ca ? { ca: options.ca } : {}) })
        : new http.Agent(agentOptions);
  }

  send(batch: EncodedBatch, signal: AbortSignal): Promise<UplinkResult> {
    const body = this.gzip ? gzipSync(batch.body) : Buffer.from(batch.body);
    const headers: Record<string, string> = {
      'content-type': batch.contentType,
      'content-length': String(body.length),
    };
    if (this.gzip) headers['content-encoding'] = 'gzip';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    const transport = this.url.protocol === 'https:' ? https : http;

    return new Promise<UplinkResult>((resolve) => {
      let settled = false;
      const finish = (result: UplinkResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const req = transport.request(this.url, { method: 'POST', agent: this.agent, headers });
      // A real-time deadline on purpose: it bounds real socket I/O, whatever clock drives the outbox.
      const deadline = setTimeout(() => {
        req.destroy();
        finish({ kind: 'retry', error: `uplink: no answer within ${this.timeoutMs} ms`, retryAfterMs: null });
      }, this.timeoutMs);
      const onAbort = (): void => {
        req.destroy();
        finish({ kind: 'retry', error: 'uplink: attempt aborted (stopping)', retryAfterMs: null });
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish({ kind: 'retry', error: `uplink: ${error.code ?? error.message}`, retryAfterMs: null });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers['retry-after'];
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): void => finish(classify(status, snippet(Buffer.concat(chunks)), retryAfter));
        res.on('data', (chunk: Buffer) => {
          if (size >= this.maxResponseBytes) return;
          chunks.push(chunk.subarray(0, this.maxResponseBytes - size));
          size += chunk.length;
          if (size >= this.maxResponseBytes) {
            // Enough to quote; the rest is not read, and the connection is not reused.
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      });
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

function snippet(body: Buffer): string {
  // Printable ASCII only, short: the receiver's text ends up in logs and the status.
  return body
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 200);
}

function classify(status: number, text: string, retryAfterHeader: string | undefined): UplinkResult {
  if (status >= 200 && status < 300) return { kind: 'ack', status };
  const error = `uplink: HTTP ${status}${text ? ` (${text})` : ''}`;
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'retry', error, retryAfterMs: parseRetryAfter(retryAfterHeader, Date.now()) };
  }
  // 3xx (not followed: the bearer token must not be sent elsewhere) and the other 4xx.
  return { kind: 'refused', status, error };
}
