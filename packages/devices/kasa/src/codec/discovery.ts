import { crc32 } from 'node:zlib';
import { DecodeError } from '@sps/core';
import { z } from 'zod';
import { parseJsonText, parseWith } from './json.js';
import { IOT_SYSINFO_REQUEST, iotMethodResult } from './iot.js';
import { xorDecrypt, xorEncrypt } from './xor.js';

/**
 * Discovery datagrams (device-protocols.md §3.1; header layout checked against python-kasa
 * `kasa/discover.py`, facts only):
 * - UDP 9999: the XOR-encrypted `get_sysinfo` request **without** the TCP length prefix;
 *   plugs answer with their XOR-encrypted sysinfo, also unprefixed.
 * - UDP 20002 ("TDP"): a 16-byte header — version 2, msg type 0, op code 1 (u16), payload
 *   size (u16), flags 17, a zero byte, a random u32, and a CRC32 of the whole datagram computed
 *   with 0x5A6B7C8D in its place — then `{"params":{"rsa_key":"<PEM>"}}`. Newer plugs answer with
 *   a 16-byte header and `{"error_code":0,"result":{device_type, device_model, device_id, ip, mac,
 *   mgt_encrypt_schm:{encrypt_type, http_port, is_support_https, lv}}}`.
 */
export const LEGACY_DISCOVERY_PORT = 9999;
export const TDP_DISCOVERY_PORT = 20002;
export const TDP_HEADER_BYTES = 16;
const TDP_CRC_PLACEHOLDER = 0x5a6b7c8d;

export interface DiscoveredPlug {
  readonly host: string;
  readonly transport: 'xor' | 'klap';
  /** The TCP port of that transport (9999 for XOR, the http_port for KLAP). */
  readonly port: number;
  readonly model: string;
  readonly deviceType: string | null;
  readonly deviceId: string | null;
  readonly mac: string | null;
  readonly alias: string | null;
  /** KLAP login version when the plug says (1 → MD5 hashes/IOT, 2 → SHA hashes/SMART). */
  readonly loginVersion: number | null;
  readonly https: boolean;
}

export function encodeLegacyDiscoveryRequest(): Buffer {
  return xorEncrypt(Buffer.from(JSON.stringify(IOT_SYSINFO_REQUEST), 'utf8'));
}

export function decodeLegacyDiscoveryRequest(datagram: Uint8Array): unknown {
  return parseJsonText(xorDecrypt(datagram).toString('utf8'), 'discovery request');
}

export function encodeLegacyDiscoveryAnswer(answer: unknown): Buffer {
  return xorEncrypt(Buffer.from(JSON.stringify(answer), 'utf8'));
}

const legacySysinfo = z.looseObject({
  model: z.string().min(1),
  alias: z.string().optional(),
  deviceId: z.string().optional(),
  mac: z.string().optional(),
  mic_mac: z.string().optional(),
  type: z.string().optional(),
  mic_type: z.string().optional(),
});

export function decodeLegacyDiscoveryAnswer(datagram: Uint8Array, host: string): DiscoveredPlug {
  const response = parseJsonText(xorDecrypt(datagram).toString('utf8'), `discovery answer from ${host}`);
  const result = iotMethodResult(response, 'system', 'get_sysinfo');
  if (!result.ok) throw new DecodeError(`discovery answer from ${host}: err_code ${result.error.code}`);
  const s = parseWith(legacySysinfo, result.body, 'system.get_sysinfo');
  return {
    host,
    transport: 'xor',
    port: 9999,
    model: s.model,
    deviceType: s.type ?? s.mic_type ?? null,
    deviceId: s.deviceId ?? null,
    mac: s.mac ?? s.mic_mac ?? null,
    alias: s.alias ?? null,
    loginVersion: null,
    https: false,
  };
}

export interface TdpHeader {
  readonly version: number;
  readonly msgType: number;
  readonly opCode: number;
  readonly payloadBytes: number;
  readonly flags: number;
  readonly serial: number;
}

/** A TDP datagram: header + JSON payload, CRC filled in. */
export function encodeTdpDatagram(payload: unknown, header: Partial<TdpHeader> = {}): Buffer {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const head = Buffer.alloc(TDP_HEADER_BYTES);
  head.writeUInt8(header.version ?? 2, 0);
  head.writeUInt8(header.msgType ?? 0, 1);
  head.writeUInt16BE(header.opCode ?? 1, 2);
  head.writeUInt16BE(body.length, 4);
  head.writeUInt8(header.flags ?? 17, 6);
  head.writeUInt8(0, 7);
  head.writeUInt32BE((header.serial ?? 0) >>> 0, 8);
  head.writeUInt32BE(TDP_CRC_PLACEHOLDER, 12);
  const datagram = Buffer.concat([head, body]);
  datagram.writeUInt32BE(crc32(datagram), 12);
  return datagram;
}

/** The TDP probe a client broadcasts; `rsaPublicKeyPem` is the client's key (the plug may encrypt details to it). */
export function encodeTdpProbe(rsaPublicKeyPem: string, serial: number): Buffer {
  return encodeTdpDatagram({ params: { rsa_key: rsaPublicKeyPem } }, { opCode: 1, serial });
}

/** Split and check a TDP datagram: header fields, CRC, JSON payload. */
export function decodeTdpDatagram(datagram: Uint8Array): { header: TdpHeader; payload: unknown } {
  if (datagram.length < TDP_HEADER_BYTES) {
    throw new DecodeError(
      `TDP datagram of ${datagram.length} bytes is shorter than its ${TDP_HEADER_BYTES}-byte header`,
    );
  }
  const buf = Buffer.from(datagram);
  const header: TdpHeader = {
    version: buf.readUInt8(0),
    msgType: buf.readUInt8(1),
    opCode: buf.readUInt16BE(2),
    payloadBytes: buf.readUInt16BE(4),
    flags: buf.readUInt8(6),
    serial: buf.readUInt32BE(8),
  };
  if (header.version !== 2) throw new DecodeError(`TDP version ${header.version}, expected 2`);
  const body = buf.subarray(TDP_HEADER_BYTES);
  if (header.payloadBytes !== body.length) {
    throw new DecodeError(`TDP header announces ${header.payloadBytes} payload bytes, datagram carries ${body.length}`);
  }
  const check = Buffer.from(buf);
  check.writeUInt32BE(TDP_CRC_PLACEHOLDER, 12);
  if (crc32(check) !== buf.readUInt32BE(12)) throw new DecodeError('TDP datagram CRC32 does not match');
  return { header, payload: parseJsonText(body.toString('utf8'), 'TDP payload') };
}

const tdpAnswer = z.looseObject({
  error_code: z.number().int(),
  result: z.looseObject({
    device_type: z.string(),
    device_model: z.string(),
    device_id: z.string().optional(),
    ip: z.string().optional(),
    mac: z.string().optional(),
    mgt_encrypt_schm: z
      .looseObject({
        encrypt_type: z.string().optional(),
        http_port: z.number().int().min(1).max(65535).optional(),
        is_support_https: z.boolean().optional(),
        lv: z.number().int().optional(),
      })
      .optional(),
  }),
});

/**
 * A plug's answer on 20002. Only KLAP plugs are returned; the older "AES securePassthrough"
 * scheme is reported as a DecodeError naming it, so a caller can show why a plug is left out.
 */
export function decodeTdpAnswer(datagram: Uint8Array, host: string): DiscoveredPlug {
  // Real plugs' answer headers are not always self-consistent, so only the payload is trusted here.
  if (datagram.length < TDP_HEADER_BYTES) throw new DecodeError(`TDP answer from ${host} is too short`);
  const payload = parseJsonText(Buffer.from(datagram).subarray(TDP_HEADER_BYTES).toString('utf8'), 'TDP answer');
  const a = parseWith(tdpAnswer, payload, `TDP answer from ${host}`);
  if (a.error_code !== 0) throw new DecodeError(`TDP answer from ${host}: error_code ${a.error_code}`);
  const scheme = a.result.mgt_encrypt_schm;
  const encryption = scheme?.encrypt_type ?? 'unknown';
  if (encryption !== 'KLAP') {
    throw new DecodeError(`${a.result.device_model} at ${host} uses the ${encryption} scheme; only KLAP is supported`);
  }
  const https = scheme?.is_support_https ?? false;
  return {
    host,
    transport: 'klap',
    port: scheme?.http_port ?? (https ? 4433 : 80),
    model: a.result.device_model.replace(/\(.*$/, ''),
    deviceType: a.result.device_type,
    deviceId: a.result.device_id ?? null,
    mac: a.result.mac ?? null,
    alias: null,
    loginVersion: scheme?.lv ?? null,
    https,
  };
}
