/**
 * A real HTTP receiver on loopback for the uplink tests: it records every request (headers and
 * the decoded body) and answers as the test says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: Buffer;
  /** The JSON body after gunzip (when Content-Encoding says gzip). */
  readonly json: unknown;
  /** What the receiver answered. */
  status: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Never answer (a hung receiver). */
  readonly hang?: boolean;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Bodies the receiver acknowledged (2xx), in arrival order. */
  accepted(): BatchBody[];
  answer: (req: ReceivedRequest) => Answer;
  close(): Promise<void>;
}

export interface BatchBody {
  batch_id: string;
  seq: number;
  site: string;
  level: string;
  sent_at: string;
  records: Array<Record<string, unknown>>;
}

export async function startReceiver(
  answer: (req: ReceivedRequest) => Answer = () => ({ status: 200 }),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const hung: http.ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    requests,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.json as BatchBody),
    answer,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      const entry: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        raw,
        json,
        status: 0,
      };
      const reply = receiver.answer(entry);
      entry.status = reply.hang ? 0 : reply.status;
      requests.push(entry);
      if (reply.hang) {
        hung.push(res);
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (receiver as { url: string }).url = `http://127.0.0.1:${port}/ingest`;
  return receiver;
}
