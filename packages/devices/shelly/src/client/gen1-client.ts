import { DeviceError } from '@sps/core';
import { z } from 'zod';
import { describeIssue } from '../codec/zod-issue.js';
import { httpExchange, httpStatusError, jsonBody, type HttpAnswer, type HttpTarget } from './http.js';

export interface Gen1Credentials {
  readonly username: string;
  readonly password: string;
}

const relayAnswer = z.object({ ison: z.boolean() });

/**
 * Gen1 HTTP API (device-protocols.md §2.2): `GET /status`, `GET /relay/N?turn=on|off`.
 * When the device's login is enabled it wants HTTP Basic auth on everything but `/shelly`.
 */
export class ShellyGen1Client {
  constructor(
    private readonly target: HttpTarget,
    private readonly credentials: Gen1Credentials | null,
  ) {}

  async getStatus(): Promise<unknown> {
    const answer = await this.get('/status');
    return jsonBody(answer, 'GET /status');
  }

  /** Switch relay `channel`; resolves with the relay's state as the device reports it afterwards. */
  async setRelay(channel: number, on: boolean): Promise<{ ison: boolean }> {
    const path = `/relay/${channel}?turn=${on ? 'on' : 'off'}`;
    const answer = await this.get(path);
    const parsed = relayAnswer.safeParse(jsonBody(answer, `GET ${path}`));
    if (!parsed.success) throw new DeviceError('bad_response', `GET ${path}: ${describeIssue(parsed.error)}`);
    return parsed.data;
  }

  private async get(path: string): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (this.credentials !== null) {
      const token = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    const answer = await httpExchange(this.target, { method: 'GET', path, headers });
    if (answer.status === 401) {
      throw new DeviceError(
        'auth_failed',
        this.credentials === null
          ? `GET ${path}: the device has login enabled; set its password in the options`
          : `GET ${path}: the device refused user "${this.credentials.username}" and the configured password`,
      );
    }
    if (answer.status !== 200) throw httpStatusError(answer, `GET ${path}`);
    return answer;
  }
}
