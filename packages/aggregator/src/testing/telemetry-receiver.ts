/**
 * A tiny reference receiver for remote telemetry, for the tests, the bench and anyone writing the
 * receiving end: an HTTP server on loopback that decodes each POSTed frame with
 * `decodeTelemetryBatch`, keeps each batch once (by seq: the uplink may deliver a batch twice when
 * an answer is lost), and answers 204. It counts every byte its TCP sockets carry both ways.
 * `collect()` takes frames from any other transport (an MQTT subscription) with the same rules.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeTelemetryBatch, type TelemetryBatch } from '../telemetry/telemetry-codec.js';

export type TelemetryAnswer =
  | { readonly status: number }
  /** Never answer (a hung endpoint). */
  | { readonly hang: true }
  /** Read the request, then drop the connection without an answer. */
  | { readonly drop: true };

export interface TelemetryReceiverOptions {
  /** Listen on this port (0: a free one). */
  readonly port?: number;
  /** The limit on a request body; larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

export interface TelemetryReceiver {
  readonly url: string;
  readonly port: number;
  /** Batches taken, each seq once, in the order they arrived. */
  readonly batches: TelemetryBatch[];
  /** Frames that did not decode, with the reason. */
  readonly rejected: string[];
  readonly stats: { requests: number; duplicates: number; connections: number; bytesIn: number; bytesOut: number };
  /** What the next request gets; default 204 (after decoding; a bad frame gets 400). */
  answer: (frame: Buffer) => TelemetryAnswer;
  /** Takes a frame from another transport: `ok` when it decoded (new or duplicate). */
  collect(frame: Uint8Array): boolean;
  /** Stops listening and cuts every connection (the endpoint is down); `up()` listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTelemetryReceiver(options: TelemetryReceiverOptions = {}): Promise<TelemetryReceiver> {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const seen = new Set<number>();
  const sockets = new Set<Socket>();
  const hung: http.ServerResponse[] = [];
  const batches: TelemetryBatch[] = [];
  const rejected: string[] = [];
  const stats = { requests: 0, duplicates: 0, connections: 0, bytesIn: 0, bytesOut: 0 };

  const collect = (frame: Uint8Array): boolean => {
    const result = decodeTelemetryBatch(frame);
    if (!result.ok) {
      rejected.push(result.reason);
      return false;
    }
    if (seen.has(result.batch.seq)) stats.duplicates += 1;
    else {
      seen.add(result.batch.seq);
      batches.push(result.batch);
    }
    return true;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBody) chunks.push(chunk);
    });
    req.on('end', () => {
      stats.requests += 1;
      if (size > maxBody) {
        res.writeHead(413).end();
        return;
      }
      const frame = Buffer.concat(chunks);
      const answer = receiver.answer(frame);
      if ('hang' in answer) {
        hung.push(res);
        return;
      }
      if ('drop' in answer) {
        req.socket.destroy();
        return;
      }
      if (answer.status >= 200 && answer.status < 300 && !collect(frame)) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(rejected[rejected.length - 1]);
        return;
      }
      res.writeHead(answer.status).end();
    });
  });
  // The uplink keeps one connection open between batches; so does this end.
  server.keepAliveTimeout = 24 * 3_600_000;
  server.headersTimeout = 60_000;
  const count = (socket: Socket): void => {
    if (!sockets.delete(socket)) return;
    stats.bytesIn += socket.bytesRead;
    stats.bytesOut += socket.bytesWritten;
  };
  server.on('connection', (socket: Socket) => {
    stats.connections += 1;
    sockets.add(socket);
    socket.on('close', () => count(socket));
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stopListening = async (): Promise<void> => {
    for (const res of hung.splice(0)) res.destroy();
    // Counted here, not only on 'close' (which comes a turn later): the stats are final once this resolves.
    for (const socket of [...sockets]) {
      count(socket);
      socket.destroy();
    }
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const port = await listen(options.port ?? 0);
  const receiver: TelemetryReceiver = {
    url: `http://127.0.0.1:${port}/telemetry`,
    port,
    batches,
    rejected,
    stats,
    answer: () => ({ status: 204 }),
    collect,
    down: stopListening,
    up: async () => {
      await listen(port);
    },
    close: stopListening,
  };
  return receiver;
}
