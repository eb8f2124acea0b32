import { randomBytes } from 'node:crypto';
import { DeviceError, toDeviceError, type Clock } from '@sps/core';
import {
  KLAP_SEED_BYTES,
  KlapCipherSession,
  klapAuthHash,
  klapClientHash,
  klapServerHash,
  sameHash,
  splitHandshake1,
  type KlapVersion,
} from '../codec/klap.js';
import type { KasaDialect } from '../codec/snapshot.js';
import { cookiesOf, httpPost } from './http-post.js';
import { SerialQueue, type KasaTransport } from './transport.js';

export interface KlapTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** TP-Link account e-mail; absent means blank credentials (plugs never linked to the cloud). */
  readonly username?: string;
  readonly password?: string;
  readonly clock: Clock;
}

interface Session {
  readonly version: KlapVersion;
  readonly cipher: KlapCipherSession;
  readonly cookie: string;
  readonly expiresAt: number;
  /** Which credentials the plug accepted, for diagnostics. */
  readonly credentials: 'configured' | 'blank';
}

/** Plugs set TIMEOUT (s) on handshake1; their clocks drift, so the session is renewed 20 minutes early (as python-kasa does). */
const SESSION_MARGIN_MS = 20 * 60_000;
const DEFAULT_SESSION_S = 86_400;

/**
 * KLAP over HTTP (device-protocols.md §3.1): handshake1/handshake2 then AES-128-CBC requests
 * with sequence numbers. The KLAP version (1: MD5 auth hash, IOT dialect; 2: SHA auth hash,
 * SMART dialect) is recognised from the server hash in handshake1, so the user never picks it.
 * A 403 or an answer that does not decrypt means the plug dropped the session (some IOT firmware
 * allows one request per session): the request is retried once after a fresh handshake.
 */
export class KlapTransport implements KasaTransport {
  readonly kind = 'klap' as const;
  private readonly queue = new SerialQueue();
  private session: Session | null = null;

  constructor(readonly options: KlapTransportOptions) {}

  /** The KLAP version of the current session, once open. */
  get version(): KlapVersion | null {
    return this.session?.version ?? null;
  }

  open(): Promise<KasaDialect> {
    return this.queue.run(async () => {
      this.session = await this.handshake();
      return this.session.version === 1 ? 'iot' : 'smart';
    });
  }

  request(json: string): Promise<string> {
    return this.queue.run(async () => {
      try {
        return await this.exchange(json);
      } catch (err) {
        if (!(err instanceof SessionLost)) throw err;
        this.session = null;
        try {
          return await this.exchange(json);
        } catch (again) {
          if (again instanceof SessionLost) {
            throw new DeviceError(again.kind, `${again.message}, even right after a fresh handshake`);
          }
          throw again;
        }
      }
    });
  }

  async close(): Promise<void> {
    this.session = null;
  }

  private async exchange(json: string): Promise<string> {
    if (this.session === null || this.options.clock.now() >= this.session.expiresAt) {
      this.session = await this.handshake();
    }
    const session = this.session;
    const { seq, body } = session.cipher.encryptRequest(json);
    const answer = await this.post(`/app/request?seq=${seq}`, body, { cookie: session.cookie });
    if (answer.status === 403 || answer.status === 401) {
      throw new SessionLost('rejected', `the plug refused request seq ${seq} (HTTP ${answer.status})`);
    }
    if (answer.status !== 200) {
      throw new DeviceError('bad_response', `the plug answered HTTP ${answer.status} to request seq ${seq}`);
    }
    try {
      return session.cipher.open(answer.body, seq, false);
    } catch (err) {
      throw new SessionLost('bad_response', toDeviceError(err).message);
    }
  }

  private async handshake(): Promise<Session> {
    const local = randomBytes(KLAP_SEED_BYTES);
    const first = await this.post('/app/handshake1', local, {});
    if (first.status !== 200) {
      throw new DeviceError('bad_response', `handshake1 answered HTTP ${first.status}`);
    }
    const { remoteSeed, serverHash } = splitHandshake1(first.body);
    const match = this.recogniseServerHash(local, remoteSeed, serverHash);
    const cookies = cookiesOf(first.headers);
    const sessionId = cookies.get('TP_SESSIONID');
    // The plug sends TIMEOUT too but does not want it back.
    const cookie = sessionId === undefined ? '' : `TP_SESSIONID=${sessionId}`;
    const timeoutS = Number(cookies.get('TIMEOUT') ?? DEFAULT_SESSION_S);
    const lifetimeMs = (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_SESSION_S) * 1000;
    const proof = klapClientHash(match.version, local, remoteSeed, match.auth);
    const second = await this.post('/app/handshake2', proof, cookie === '' ? {} : { cookie });
    if (second.status !== 200) {
      throw new DeviceError(
        second.status === 401 || second.status === 403 ? 'auth_failed' : 'bad_response',
        `handshake2 answered HTTP ${second.status}`,
      );
    }
    return {
      version: match.version,
      cipher: new KlapCipherSession(local, remoteSeed, match.auth),
      cookie,
      expiresAt: this.options.clock.now() + Math.max(lifetimeMs - SESSION_MARGIN_MS, lifetimeMs / 2),
      credentials: match.credentials,
    };
  }

  /** Which credentials and KLAP version produce the plug's server hash; none is auth_failed. */
  private recogniseServerHash(
    local: Buffer,
    remote: Buffer,
    serverHash: Buffer,
  ): { version: KlapVersion; auth: Buffer; credentials: 'configured' | 'blank' } {
    const { username, password } = this.options;
    const configured = username !== undefined || password !== undefined;
    const candidates: { user: string; pass: string; credentials: 'configured' | 'blank' }[] = [];
    if (configured) candidates.push({ user: username ?? '', pass: password ?? '', credentials: 'configured' });
    if (!configured || (username ?? '') !== '' || (password ?? '') !== '') {
      candidates.push({ user: '', pass: '', credentials: 'blank' });
    }
    for (const { user, pass, credentials } of candidates) {
      for (const version of [2, 1] as const) {
        const auth = klapAuthHash(version, user, pass);
        if (sameHash(klapServerHash(version, local, remote, auth), serverHash)) return { version, auth, credentials };
      }
    }
    throw new DeviceError(
      'auth_failed',
      configured
        ? `the plug at ${this.options.host} did not accept the configured username/password (nor blank credentials); ` +
            'use the TP-Link (Kasa/Tapo app) account e-mail and password, both case-sensitive'
        : `the plug at ${this.options.host} needs credentials: set username and password to the TP-Link (Kasa/Tapo app) account`,
    );
  }

  private post(path: string, body: Uint8Array, headers: Record<string, string>) {
    return httpPost({ host: this.options.host, port: this.options.port, path }, body, headers, this.options.timeoutMs);
  }
}

/** The plug no longer knows our session (or garbled the answer); one fresh handshake is worth a try. */
class SessionLost extends Error {
  constructor(
    readonly kind: 'rejected' | 'bad_response',
    message: string,
  ) {
    super(message);
  }
}
