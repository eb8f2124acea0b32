/**
 * Which uplink URLs the add-on accepts: `https://` anywhere, plain `http://` only to loopback or
 * the LAN, so a bearer token and household data never cross the internet in clear text.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const LAN_SUFFIXES = ['.local', '.lan', '.home.arpa', '.internal', '.localdomain'];

function isPrivateIpv4(host: string): boolean {
  const parts = host.split('.').map(Number);
  const [a = -1, b = -1] = parts;
  return (
    a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
  );
}

function isPrivateIpv6(host: string): boolean {
  const h = host.toLowerCase();
  if (h === '::1') return true;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (v4?.[1]) return isPrivateIpv4(v4[1]);
  return /^f[cd][0-9a-f]{2}:/.test(h) || /^fe[89ab][0-9a-f]:/.test(h);
}

/** Loopback, a private address, a single-label name (`homeassistant`) or a LAN-only suffix. */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  if (family === 4) return isPrivateIpv4(host);
  if (family === 6) return isPrivateIpv6(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!host.includes('.')) return true;
  return LAN_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

export const uplinkUrlSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'uplink_url: not a URL' });
    return;
  }
  if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'uplink_url: put credentials in uplink_token, not in the URL' });
  }
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    ctx.addIssue({
      code: 'custom',
      message: `uplink_url: must be https:// (or http:// on the LAN), got ${url.protocol}`,
    });
    return;
  }
  if (!isLocalHost(url.hostname)) {
    ctx.addIssue({
      code: 'custom',
      message: `uplink_url: plain http:// only to loopback or the LAN; use https:// for ${url.hostname}`,
    });
  }
});

/** The parsed URL, or an Error whose message names the field. */
export function parseUplinkUrl(value: unknown): URL {
  const result = uplinkUrlSchema.safeParse(value);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => i.message).join('; '));
  }
  return new URL(result.data);
}
