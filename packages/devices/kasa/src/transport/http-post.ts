import { request, type IncomingHttpHeaders } from 'node:http';
import { DeviceError, toDeviceError } from '@sps/core';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The largest answer body accepted; KLAP answers are a few kB. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One binary POST with a deadline for the whole exchange, on a fresh connection (no keep-alive
 * agent, so nothing lingers after close()). Failures become DeviceErrors.
 */
export function httpPost(
  target: { host: string; port: number; path: string },
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const where = `${target.host}:${target.port}${target.path}`;
    const finish = (err: DeviceError | null, answer?: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer as HttpAnswer);
    };
    const req = request({
      host: target.host,
      port: target.port,
      path: target.path,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...headers },
    });
    const timer = setTimeout(
      () => finish(new DeviceError('timeout', `no answer from ${where} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES)
          finish(new DeviceError('bad_response', `${where} answered more than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () =>
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', (err) => finish(toDeviceError(err)));
    });
    req.on('error', (err) => {
      const error = toDeviceError(err);
      // Node reports a response that is not HTTP at all as a parse error; that is a bad answer, not a lost line.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('HPE_')) {
        finish(new DeviceError('bad_response', `${where} did not answer with HTTP (${err.message})`, { cause: err }));
      } else if (err.message === 'socket hang up') {
        finish(new DeviceError('connection_lost', `${where} closed the connection without answering`, { cause: err }));
      } else finish(error);
    });
    req.end(Buffer.from(body));
  });
}

/** All `name=value` pairs of every Set-Cookie header (plugs send `TP_SESSIONID=…;TIMEOUT=86400`). */
export function cookiesOf(headers: IncomingHttpHeaders): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of headers['set-cookie'] ?? []) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
  }
  return cookies;
}
