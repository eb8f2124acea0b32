import { createHash } from 'node:crypto';
import { DecodeError } from '@sps/core';

/**
 * Digest authentication for Shelly Gen2+ (RFC 7616, SHA-256). Pure: the caller supplies the
 * cnonce, so tests and the simulator compute the same answers.
 *
 * Facts (Shelly Gen2 API docs, "Authentication"; device-protocols.md §2.1): the user is always
 * `admin`, the realm is the device id, HA1 = SHA256(admin:realm:password). For the `auth` object
 * inside an RPC frame (WebSocket) HA2 = SHA256("dummy_method:dummy_uri"); over HTTP it is the
 * ordinary SHA256(method:uri). response = SHA256(HA1:nonce:nc:cnonce:auth:HA2) in both cases.
 */
export const SHELLY_USER = 'admin';
const RPC_FRAME_HA2_INPUT = 'dummy_method:dummy_uri';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function digestHa1(realm: string, password: string, user = SHELLY_USER): string {
  return sha256Hex(`${user}:${realm}:${password}`);
}

export interface DigestInputs {
  readonly ha1: string;
  readonly nonce: string | number;
  readonly nc: number;
  readonly cnonce: string | number;
  readonly ha2: string;
}

/** response = SHA256(HA1:nonce:nc:cnonce:auth:HA2); `nc` as the caller sends it on the wire. */
export function digestResponse(inputs: DigestInputs, ncText: string = String(inputs.nc)): string {
  return sha256Hex(`${inputs.ha1}:${inputs.nonce}:${ncText}:${inputs.cnonce}:auth:${inputs.ha2}`);
}

/** The challenge a Gen2+ device sends over WebSocket, inside `error.message` of a 401 frame. */
export interface RpcAuthChallenge {
  readonly realm: string;
  readonly nonce: number;
  readonly nc: number;
  readonly algorithm: string;
}

/** The `auth` object of an RPC frame. */
export interface RpcAuthObject {
  readonly realm: string;
  readonly username: string;
  readonly nonce: number;
  readonly cnonce: number;
  readonly response: string;
  readonly algorithm: 'SHA-256';
}

export function rpcAuthObject(
  challenge: RpcAuthChallenge,
  password: string,
  cnonce: number,
  nc = challenge.nc,
): RpcAuthObject {
  const ha1 = digestHa1(challenge.realm, password);
  const ha2 = sha256Hex(RPC_FRAME_HA2_INPUT);
  const response = digestResponse({ ha1, nonce: challenge.nonce, nc, cnonce, ha2 });
  return {
    realm: challenge.realm,
    username: SHELLY_USER,
    nonce: challenge.nonce,
    cnonce,
    response,
    algorithm: 'SHA-256',
  };
}

/** Does this `auth` object prove knowledge of `password`? (simulator side) */
export function verifyRpcAuth(auth: RpcAuthObject, password: string, nc = 1): boolean {
  const ha1 = digestHa1(auth.realm, password, auth.username);
  const expected = digestResponse({
    ha1,
    nonce: auth.nonce,
    nc,
    cnonce: auth.cnonce,
    ha2: sha256Hex(RPC_FRAME_HA2_INPUT),
  });
  return expected === auth.response;
}

/** The parameters of an HTTP `WWW-Authenticate: Digest …` or `Authorization: Digest …` header. */
export type DigestParams = Readonly<Record<string, string>>;

/** Parse `Digest a="b", c=d` into lower-cased keys; throws DecodeError for anything else. */
export function parseDigestHeader(header: string): DigestParams {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match) throw new DecodeError(`expected a Digest header, got "${header.slice(0, 40)}"`);
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let rest = (match[1] ?? '').trim();
  pattern.lastIndex = 0;
  while (rest.length > 0) {
    pattern.lastIndex = 0;
    const m = pattern.exec(rest);
    if (!m) throw new DecodeError(`malformed Digest header near "${rest.slice(0, 30)}"`);
    params[(m[1] as string).toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    rest = rest.slice(m[0].length).trimStart();
  }
  return params;
}

export interface HttpDigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: string;
  readonly qop: string;
  readonly opaque?: string;
}

/** The challenge of a 401 answer; the device must offer SHA-256 with qop=auth. */
export function parseHttpChallenge(header: string): HttpDigestChallenge {
  const p = parseDigestHeader(header);
  const realm = p.realm;
  const nonce = p.nonce;
  if (realm === undefined || nonce === undefined)
    throw new DecodeError('WWW-Authenticate: realm and nonce are required');
  const algorithm = p.algorithm ?? 'MD5';
  if (algorithm.toUpperCase() !== 'SHA-256') {
    throw new DecodeError(`WWW-Authenticate: algorithm ${algorithm} is not supported (Shelly uses SHA-256)`);
  }
  const qops = (p.qop ?? 'auth').split(',').map((q) => q.trim());
  if (!qops.includes('auth')) throw new DecodeError(`WWW-Authenticate: qop "${p.qop ?? ''}" lacks "auth"`);
  return { realm, nonce, algorithm: 'SHA-256', qop: 'auth', ...(p.opaque === undefined ? {} : { opaque: p.opaque }) };
}

/** nc on the HTTP wire: eight hex digits (RFC 7616 §3.4). */
export function formatNonceCount(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** The `Authorization` header answering an HTTP challenge. */
export function httpAuthorization(options: {
  challenge: HttpDigestChallenge;
  password: string;
  method: string;
  uri: string;
  nc: number;
  cnonce: string;
}): string {
  const { challenge, password, method, uri, nc, cnonce } = options;
  const ncText = formatNonceCount(nc);
  const ha1 = digestHa1(challenge.realm, password);
  const ha2 = sha256Hex(`${method}:${uri}`);
  const response = digestResponse({ ha1, nonce: challenge.nonce, nc, cnonce, ha2 }, ncText);
  const parts = [
    `username="${SHELLY_USER}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${uri}"`,
    `algorithm=SHA-256`,
    `qop=auth`,
    `nc=${ncText}`,
    `cnonce="${cnonce}"`,
    `response="${response}"`,
    ...(challenge.opaque === undefined ? [] : [`opaque="${challenge.opaque}"`]),
  ];
  return `Digest ${parts.join(', ')}`;
}

/** Check an HTTP `Authorization: Digest …` header (simulator side). */
export function verifyHttpAuthorization(header: string, password: string, method: string): DigestParams | null {
  let p: DigestParams;
  try {
    p = parseDigestHeader(header);
  } catch {
    return null;
  }
  const { username, realm, nonce, uri, nc, cnonce, response } = p;
  if ([username, realm, nonce, uri, nc, cnonce, response].some((v) => v === undefined)) return null;
  const ha1 = digestHa1(realm as string, password, username as string);
  const ha2 = sha256Hex(`${method}:${uri as string}`);
  const expected = digestResponse({ ha1, nonce: nonce as string, nc: 0, cnonce: cnonce as string, ha2 }, nc as string);
  return expected === response ? p : null;
}
