import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { closeAfterReply } from './closing-reply.js';

/**
 * Who may talk to the add-on outside the Supervisor (`sps run`, `sps demo`).
 *
 * - **Host check** (DNS rebinding): a page on `evil.example` whose name is re-pointed at
 *   127.0.0.1 reaches our port with `Host: evil.example`. Only the bound address, the loopback
 *   names (with our port) and names the user configured are answered; anything else gets 421
 *   and the connection is closed.
 * - **Cross-site writes**: a foreign page may POST to localhost without any rebinding (a "simple"
 *   request needs no preflight). Writes carrying an `Origin` other than the panel's own, or a
 *   `Sec-Fetch-Site` other than `same-origin`/`none`, are refused.
 * - **Write token**: bound beyond loopback, every write needs `Authorization: Bearer <token>`.
 *   Reads stay open: the panel's live stream (EventSource) cannot send headers.
 */
export interface AccessPolicy {
  /** The address the server is bound to, as given to listen(). */
  readonly bindHost: string;
  /** Extra host names the add-on is reached by (a reverse proxy, a DNS name); any port. */
  readonly hostNames: readonly string[];
  /** Required for writes when set (always set when bound beyond loopback). */
  readonly writeToken?: string;
}

/** Methods that never change anything (the panel's reads, CORS preflights). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when only this machine can connect to `host`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return net.isIPv4(bare) && bare.startsWith('127.');
}

/** True for "all addresses" binds, where any of the machine's addresses reaches the server. */
function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '';
}

/** `host[:port]` of a Host header, lower-cased; undefined when malformed. */
export function splitHostHeader(header: string): { name: string; port?: number } | undefined {
  const text = header.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return undefined;
  const name = match[1] as string;
  return match[2] === undefined ? { name } : { name, port: Number(match[2]) };
}

export class AccessGuard {
  private readonly names: Set<string>;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly policy: AccessPolicy,
    /** The bound port, known only after listen() (tests bind port 0). */
    private readonly boundPort: () => number,
  ) {
    this.names = new Set(policy.hostNames.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''));
    this.tokenDigest = policy.writeToken === undefined ? undefined : digest(policy.writeToken);
  }

  get writesNeedToken(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Whether a request's Host header names this server. */
  hostAllowed(header: string | undefined): boolean {
    if (header === undefined) return false;
    const host = splitHostHeader(header);
    if (!host) return false;
    const port = host.port ?? 80;
    // Configured names: the user vouched for them, and a reverse proxy may present its own port.
    if (this.names.has(host.name)) return true;
    if (port !== this.boundPort()) return false;
    if (LOOPBACK_NAMES.has(host.name)) return true;
    const bare = host.name.replace(/^\[|\]$/g, '');
    const bind = this.policy.bindHost.replace(/^\[|\]$/g, '').toLowerCase();
    if (bare === bind) return true;
    // Bound to every address: an IP literal is one of ours (or the packet would not be here), and a
    // rebinding attack needs a name the attacker controls, never an address.
    return isWildcardHost(bind) && net.isIP(bare) !== 0;
  }

  /** Why a write from a browser is refused, or undefined when it may proceed. */
  crossSiteReason(request: FastifyRequest): string | undefined {
    const fetchSite = header(request, 'sec-fetch-site');
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      return `a ${fetchSite} request may not change anything`;
    }
    const origin = header(request, 'origin');
    if (origin === undefined) return undefined; // not a browser's cross-origin request (curl, the CLI)
    const own = `http://${(header(request, 'host') ?? '').toLowerCase()}`;
    if (origin.toLowerCase() !== own && !this.isConfiguredOrigin(origin)) {
      return `origin ${origin} may not change anything`;
    }
    return undefined;
  }

  /** Whether the request carries the write token. */
  tokenValid(request: FastifyRequest): boolean {
    if (!this.tokenDigest) return true;
    const match = /^Bearer\s+(\S+)$/i.exec(header(request, 'authorization') ?? '');
    return match !== null && timingSafeEqual(digest(match[1] as string), this.tokenDigest);
  }

  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      if (!this.hostAllowed(request.headers.host)) {
        return refuse(reply, 421, `this server does not answer to Host "${request.headers.host ?? ''}"`);
      }
      if (SAFE_METHODS.has(request.method)) return undefined;
      const crossSite = this.crossSiteReason(request);
      if (crossSite !== undefined) return refuse(reply, 403, crossSite);
      if (!this.tokenValid(request)) {
        reply.header('www-authenticate', 'Bearer realm="smart_power_station"');
        return refuse(
          reply,
          401,
          'writes need the write token (Authorization: Bearer …): it was printed when the add-on first started and is kept in the data folder',
        );
      }
      return undefined;
    });
  }

  /** A configured name behind a TLS proxy: `https://name[:port]`. */
  private isConfiguredOrigin(origin: string): boolean {
    try {
      return this.names.has(new URL(origin).hostname.toLowerCase());
    } catch {
      return false;
    }
  }
}

function refuse(reply: FastifyReply, status: number, error: string): FastifyReply {
  closeAfterReply(reply);
  return reply.code(status).send({ error });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
}

/** Compare digests, so timingSafeEqual sees equal lengths whatever the client sends. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
