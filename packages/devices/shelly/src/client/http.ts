import { request } from 'node:http';
import { DeviceError, toDeviceError, type DecodeError } from '@sps/core';
import { parseJson } from '../codec/rpc-frame.js';

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
  /** Per request, connect included. */
  readonly timeoutMs: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Shelly answers are small; anything bigger is not a Shelly talking. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * One HTTP exchange without keep-alive (Shelly Gen2 closes non-persistent channels and has
 * only ~6 of them, device-protocols.md §2.1). Every failure is a DeviceError.
 */
export function httpExchange(
  target: HttpTarget,
  options: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string },
): Promise<HttpAnswer> {
  const what = `${options.method} ${options.path} at ${target.host}:${target.port}`;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (err: DeviceError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = request(
      {
        host: target.host,
        port: target.port,
        method: options.method,
        path: options.path,
        agent: false,
        headers: {
          connection: 'close',
          ...(options.body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) fail(new DeviceError('bad_response', `${what}: answer larger than 1 MB`));
          else chunks.push(chunk);
        });
        res.on('error', (err) => fail(classify(err, what)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(
      () => fail(new DeviceError('timeout', `no answer within ${target.timeoutMs} ms to ${what}`)),
      target.timeoutMs,
    );
    req.on('error', (err) => fail(classify(err, what)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

function classify(err: unknown, what: string): DeviceError {
  const e = toDeviceError(err);
  // Node's "socket hang up" carries ECONNRESET: the device closed on us mid-answer.
  return new DeviceError(e.kind, `${e.message} (${what})`, { cause: err });
}

/** Parse a JSON body; a non-JSON answer is a bad_response that says where it came from. */
export function jsonBody(answer: HttpAnswer, what: string): unknown {
  try {
    return parseJson(answer.body, what);
  } catch (err) {
    throw new DeviceError('bad_response', (err as DecodeError).message, { cause: err });
  }
}

/** Non-2xx answers other than 401 (handled by the auth layers). */
export function httpStatusError(answer: HttpAnswer, what: string): DeviceError {
  const body = answer.body.trim().slice(0, 120);
  const detail = body === '' ? '' : `: ${body}`;
  if (answer.status === 404) return new DeviceError('unsupported', `${what}: HTTP 404 (not on this device)${detail}`);
  if (answer.status >= 400 && answer.status < 500) {
    return new DeviceError('rejected', `${what}: HTTP ${answer.status}${detail}`);
  }
  return new DeviceError('bad_response', `${what}: HTTP ${answer.status}${detail}`);
}
