import { randomBytes } from 'node:crypto';
import { DeviceError, toDeviceError } from '@sps/core';
import { httpAuthorization, parseHttpChallenge, type HttpDigestChallenge } from '../codec/digest.js';
import { decodeRpcResponse, encodeRpcRequest } from '../codec/rpc-frame.js';
import { httpExchange, httpStatusError, jsonBody, type HttpAnswer, type HttpTarget } from './http.js';
import { authFailed, newClientSource, rpcErrorToDeviceError, type ShellyRpcClient } from './rpc-client.js';

const RPC_PATH = '/rpc';

/**
 * Gen2+ JSON-RPC over HTTP: `POST /rpc` with the whole frame. With a password the device
 * answers 401 + `WWW-Authenticate: Digest … algorithm=SHA-256, qop="auth"` and we answer with
 * a standard RFC 7616 `Authorization` header. The last challenge is kept and its nonce reused
 * with a growing nc (firmware 2.0+ accepts that; older firmware just sends a new challenge,
 * which we then answer once).
 */
export class ShellyHttpRpcClient implements ShellyRpcClient {
  private nextId = 1;
  private readonly src = newClientSource();
  private challenge: HttpDigestChallenge | null = null;
  private nc = 0;

  constructor(
    private readonly target: HttpTarget,
    private readonly password: string | null,
  ) {}

  async call(method: string, params?: Readonly<Record<string, unknown>>): Promise<unknown> {
    const body = encodeRpcRequest({
      id: this.nextId++,
      src: this.src,
      method,
      ...(params === undefined ? {} : { params }),
    });
    let answer = await this.post(body, this.challenge);
    if (answer.status === 401) {
      if (this.password === null) throw authFailed(method, false);
      // A fresh challenge from this very answer: if it fails too, the password is wrong.
      this.challenge = this.challengeOf(answer, method);
      this.nc = 0;
      answer = await this.post(body, this.challenge);
      if (answer.status === 401) throw authFailed(method, true);
    }
    if (answer.status !== 200) throw httpStatusError(answer, `POST /rpc ${method}`);
    let response;
    try {
      response = decodeRpcResponse(jsonBody(answer, `POST /rpc ${method}`));
    } catch (err) {
      throw toDeviceError(err);
    }
    if (response.kind === 'error') {
      if (response.code === 401) throw authFailed(method, this.password !== null);
      throw rpcErrorToDeviceError(method, response.code, response.message);
    }
    return response.result;
  }

  async close(): Promise<void> {
    // No persistent connection over HTTP.
  }

  private post(body: string, challenge: HttpDigestChallenge | null): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (challenge !== null && this.password !== null) {
      this.nc += 1;
      headers.authorization = httpAuthorization({
        challenge,
        password: this.password,
        method: 'POST',
        uri: RPC_PATH,
        nc: this.nc,
        cnonce: randomBytes(8).toString('hex'),
      });
    }
    return httpExchange(this.target, { method: 'POST', path: RPC_PATH, headers, body });
  }

  private challengeOf(answer: HttpAnswer, method: string): HttpDigestChallenge {
    const header = answer.headers['www-authenticate'];
    const text = Array.isArray(header) ? header[0] : header;
    if (text === undefined) {
      throw new DeviceError('bad_response', `${method}: 401 without a WWW-Authenticate challenge`);
    }
    try {
      return parseHttpChallenge(text);
    } catch (err) {
      throw new DeviceError('bad_response', `${method}: ${(err as Error).message}`, { cause: err });
    }
  }
}
