import { DeviceError, toDeviceError } from '@sps/core';
import { z } from 'zod';
import type { ShellyIdentity } from './codec/device-info.js';
import { decodeGen1Status } from './codec/gen1-status.js';
import { decodeGen2Status, mergeStatus } from './codec/gen2-status.js';
import type { DecodeOptions, ShellyState } from './codec/state.js';
import { describeIssue } from './codec/zod-issue.js';
import { ShellyGen1Client } from './client/gen1-client.js';
import type { HttpTarget } from './client/http.js';
import { ShellyHttpRpcClient } from './client/http-rpc-client.js';
import type { ShellyRpcClient } from './client/rpc-client.js';
import { ShellyWsRpcClient } from './client/ws-rpc-client.js';

/** What the adapter needs from a generation: the state, a relay switch, and closing. */
export interface ShellyBackend {
  fetchState(): Promise<ShellyState>;
  /** Resolves with the relay's previous state when the device says (Gen2+ `was_on`). */
  setRelay(channel: number, on: boolean): Promise<{ wasOn: boolean | null }>;
  close(): Promise<void>;
}

export interface PushListener {
  /** A NotifyStatus/NotifyFullStatus produced a new state. */
  onState(state: ShellyState): void;
  onDisconnect(reason: DeviceError): void;
}

/** Gen1: `/status` and `/relay/N`, one HTTP exchange each. */
export class Gen1Backend implements ShellyBackend {
  private readonly client: ShellyGen1Client;

  constructor(
    target: HttpTarget,
    credentials: { username: string; password: string } | null,
    private readonly identity: ShellyIdentity,
    private readonly options: DecodeOptions,
  ) {
    this.client = new ShellyGen1Client(target, credentials);
  }

  async fetchState(): Promise<ShellyState> {
    const json = await this.client.getStatus();
    return decode(() => decodeGen1Status(json, this.identity.model, this.options));
  }

  async setRelay(channel: number, on: boolean): Promise<{ wasOn: boolean | null }> {
    const after = await this.client.setRelay(channel, on);
    if (after.ison !== on) {
      throw new DeviceError(
        'rejected',
        `relay ${channel} reports ${after.ison ? 'on' : 'off'} after turning it ${on ? 'on' : 'off'}`,
      );
    }
    return { wasOn: null };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const switchSetResult = z.object({ was_on: z.boolean() });

/**
 * Gen2/3/4 over HTTP or WebSocket. Over WebSocket the last full status is kept and each
 * NotifyStatus delta is overlaid on it, so a push yields complete readings without a poll.
 */
export class RpcBackend implements ShellyBackend {
  private readonly rpc: ShellyRpcClient;
  private status: Record<string, unknown> | null = null;

  constructor(
    target: HttpTarget,
    password: string | null,
    transport: 'websocket' | 'http',
    private readonly options: DecodeOptions,
    private readonly push: PushListener | null,
  ) {
    this.rpc =
      transport === 'http'
        ? new ShellyHttpRpcClient(target, password)
        : new ShellyWsRpcClient(target, password, {
            onStatus: (kind, params) => this.onStatus(kind, params),
            onDisconnect: (reason) => this.push?.onDisconnect(reason),
          });
  }

  async fetchState(): Promise<ShellyState> {
    const result = await this.rpc.call('Shelly.GetStatus');
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new DeviceError('bad_response', 'Shelly.GetStatus: result is not an object');
    }
    const state = decode(() => decodeGen2Status(result, this.options));
    this.status = result as Record<string, unknown>;
    return state;
  }

  async setRelay(channel: number, on: boolean): Promise<{ wasOn: boolean | null }> {
    const result = await this.rpc.call('Switch.Set', { id: channel, on });
    const parsed = switchSetResult.safeParse(result);
    if (!parsed.success) throw new DeviceError('bad_response', `Switch.Set: ${describeIssue(parsed.error)}`);
    return { wasOn: parsed.data.was_on };
  }

  close(): Promise<void> {
    this.status = null;
    return this.rpc.close();
  }

  private onStatus(kind: 'delta' | 'full', params: Readonly<Record<string, unknown>>): void {
    if (kind === 'delta' && this.status === null) return;
    const next = kind === 'full' ? mergeStatus({}, params) : mergeStatus(this.status ?? {}, params);
    let state: ShellyState;
    try {
      state = decodeGen2Status(next, this.options);
    } catch {
      // A push we cannot read is dropped; the next poll asks for the whole status anyway.
      return;
    }
    this.status = next;
    this.push?.onState(state);
  }
}

function decode(work: () => ShellyState): ShellyState {
  try {
    return work();
  } catch (err) {
    throw toDeviceError(err);
  }
}
