import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The web panel's files live in addon/web, beside src/ and dist/ alike. */
export const WEB_DIR = path.resolve(__dirname, '..', '..', 'web');

/** The cards' bundle (lovelace/, built by `pnpm build`): the panel is made of the same cards. */
export const CARDS_BUNDLE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'lovelace',
  'dist',
  'smart-power-station-cards.js',
);

const JS = 'text/javascript; charset=utf-8';

const ASSETS: readonly { route: string; file: string; type: string }[] = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/status.js', file: 'status.js', type: JS },
  { route: '/panel.js', file: 'panel.js', type: JS },
  { route: '/dr.js', file: 'dr.js', type: JS },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
  { route: '/icon.svg', file: 'icon.svg', type: 'image/svg+xml' },
];

/**
 * What the page shows when the bundle was never built (a checkout without `pnpm build`): the
 * reason in place of the cards, and the one export panel.js needs, so nothing throws.
 */
const MISSING_BUNDLE = `const note = document.getElementById('cards');
if (note) note.textContent = 'The cards are not built: run pnpm build (lovelace/dist/smart-power-station-cards.js is missing).';
export class HttpDataSource { subscribe() { return () => undefined; } }
export function hassTimeSettings() { return undefined; }
`;

/**
 * Everything the page loads is same-origin and referenced by relative URL, so it works at
 * http://localhost:8099/ and behind HA ingress's /api/hassio_ingress/<token>/. Lit puts its
 * styles in constructable style sheets; the cards' few `style` attributes (grid placement) need
 * style-src-attr, not inline <style> or scripts.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export function registerWebRoutes(
  app: FastifyInstance,
  webDir: string = WEB_DIR,
  cardsBundle: string = CARDS_BUNDLE,
): void {
  const send = (route: string, type: string, body: Buffer | string): void => {
    app.get(route, async (_request, reply) =>
      reply
        .header('content-type', type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .send(body),
    );
  };
  // Read once: the files are fixed for the life of the process.
  for (const asset of ASSETS) send(asset.route, asset.type, readFileSync(path.join(webDir, asset.file)));
  send('/smart-power-station-cards.js', JS, existsSync(cardsBundle) ? readFileSync(cardsBundle) : MISSING_BUNDLE);
}
