import { DecodeError } from '@sps/core';
import { z } from 'zod';
import type { RpcAuthChallenge, RpcAuthObject } from './digest.js';
import { describeIssue } from './zod-issue.js';

/**
 * JSON-RPC 2.0 frames as Shelly Gen2+ devices speak them (device-protocols.md §2.1):
 * request `{id, src, method, params?, auth?}`, response `{id, src, dst, result | error}`,
 * notification `{src, dst, method, params}` (no id).
 */
export interface RpcRequestFrame {
  readonly id: number;
  readonly src: string;
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly auth?: RpcAuthObject;
}

export function encodeRpcRequest(frame: RpcRequestFrame): string {
  return JSON.stringify(frame);
}

const rpcError = z.object({ code: z.number().int(), message: z.string() });

const responseFrame = z.object({
  id: z.union([z.number(), z.string()]),
  src: z.string().optional(),
  dst: z.string().optional(),
  result: z.unknown().optional(),
  error: rpcError.optional(),
});

const notificationFrame = z.object({
  src: z.string().optional(),
  dst: z.string().optional(),
  method: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
});

export type RpcResponse =
  | { readonly kind: 'result'; readonly id: number | string; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number | string; readonly code: number; readonly message: string };

export interface RpcNotification {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type RpcInbound = RpcResponse | RpcNotification;

/** Parse one text frame from the device. Throws DecodeError for anything that is not a frame. */
export function decodeRpcInbound(text: string): RpcInbound {
  const json = parseJson(text, 'RPC frame');
  if (typeof json === 'object' && json !== null && 'id' in json) return decodeRpcResponse(json);
  const parsed = notificationFrame.safeParse(json);
  if (!parsed.success) throw new DecodeError(`RPC frame: ${describeIssue(parsed.error)}`);
  return { kind: 'notification', method: parsed.data.method, params: parsed.data.params ?? {} };
}

/** A response frame (already JSON-parsed), as `POST /rpc` returns it. */
export function decodeRpcResponse(json: unknown): RpcResponse {
  const parsed = responseFrame.safeParse(json);
  if (!parsed.success) throw new DecodeError(`RPC response: ${describeIssue(parsed.error)}`);
  const { id, error } = parsed.data;
  if (error !== undefined) return { kind: 'error', id, code: error.code, message: error.message };
  if (!('result' in parsed.data)) throw new DecodeError('RPC response: neither result nor error');
  return { kind: 'result', id, result: parsed.data.result };
}

const challengeSchema = z.object({
  auth_type: z.literal('digest'),
  nonce: z.number(),
  nc: z.number().int().optional(),
  realm: z.string().min(1),
  algorithm: z.string(),
});

/**
 * The digest challenge inside a 401 error's message, e.g.
 * `{"auth_type": "digest", "nonce": 1725185413, "nc": 1, "realm": "shellyplus2pm-…", "algorithm": "SHA-256"}`
 * (real frame: aioshelly tests/rpc_device/fixtures/shellyplus2pm/Cover.Close_auth_failure).
 */
export function decodeAuthChallenge(message: string): RpcAuthChallenge {
  const parsed = challengeSchema.safeParse(parseJson(message, '401 challenge'));
  if (!parsed.success) throw new DecodeError(`401 challenge: ${describeIssue(parsed.error)}`);
  const { nonce, nc, realm, algorithm } = parsed.data;
  if (algorithm.toUpperCase() !== 'SHA-256') {
    throw new DecodeError(`401 challenge: algorithm ${algorithm} is not supported (expected SHA-256)`);
  }
  return { nonce, nc: nc ?? 1, realm, algorithm: 'SHA-256' };
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DecodeError(`${what}: not JSON (${JSON.stringify(text.slice(0, 40))})`);
  }
}
