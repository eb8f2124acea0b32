import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The web panel's files live in addon/web, beside src/ and dist/ alike. */
export const WEB_DIR = path.resolve(__dirname, '..', '..', 'web');

const ASSETS: readonly { route: string; file: string; type: string }[] = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/status.js', file: 'status.js', type: 'text/javascript; charset=utf-8' },
  { route: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/outlook.js', file: 'outlook.js', type: 'text/javascript; charset=utf-8' },
  { route: '/plan.js', file: 'plan.js', type: 'text/javascript; charset=utf-8' },
  { route: '/dr.js', file: 'dr.js', type: 'text/javascript; charset=utf-8' },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
  { route: '/icon.svg', file: 'icon.svg', type: 'image/svg+xml' },
];

/**
 * Everything the page loads is same-origin and referenced by relative URL, so it
 * works at http://localhost:8099/ and behind HA ingress's /api/hassio_ingress/<token>/.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export function registerWebRoutes(app: FastifyInstance, webDir: string = WEB_DIR): void {
  for (const asset of ASSETS) {
    // Read once: the files are small and fixed for the life of the process.
    const body = readFileSync(path.join(webDir, asset.file));
    app.get(asset.route, async (_request, reply) =>
      reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .send(body),
    );
  }
}
