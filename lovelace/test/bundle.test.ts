/**
 * The bundle is one self-contained ES module: no import of another module, no URL it could fetch
 * (the browser test proves the same at runtime with a request interceptor). Absolute URLs that are
 * identifiers, not addresses, are listed with the reason.
 */
import { buildBundle } from './browser-page.js';

/** URL-shaped strings in zod that are never requested. */
const NOT_FETCHED: readonly { readonly url: string; readonly why: string }[] = [
  { url: 'http://json-schema.org/draft-04/schema#', why: "zod's toJSONSchema: the $schema identifier it writes" },
  { url: 'http://json-schema.org/draft-07/schema#', why: "zod's toJSONSchema: the $schema identifier it writes" },
  { url: 'https://json-schema.org/draft/2020-12/schema', why: "zod's toJSONSchema: the $schema identifier it writes" },
  { url: 'http://[${e}]', why: "zod's IPv6 check parses `http://[addr]` with new URL(), never fetched" },
];

describe('the bundle', () => {
  const bundle = buildBundle();

  it('is one module: it imports nothing', () => {
    expect(bundle).not.toMatch(/\bimport\s*[{*\w][^;]*\bfrom\s*["'`]/);
    expect(bundle).not.toMatch(/\bimport\s*\(\s*["'`]/);
    expect(bundle).not.toMatch(/^\s*import\s*["'`]/m);
  });

  it('names no absolute URL it could fetch', () => {
    // Scheme-relative URLs cannot be told from minified regular expressions here; the browser test's
    // interceptor catches those at runtime.
    const urls = [...bundle.matchAll(/(?:https?|wss?):\/\/[^\s"'`)]+/gi)].map((m) => m[0]);
    expect(urls.length).toBeGreaterThan(0); // the scan sees zod's identifiers, so it does scan
    const unexpected = urls.filter((u) => !NOT_FETCHED.some((n) => n.url === u));
    expect(unexpected).toEqual([]);
  });

  it('loads no style sheet or font from elsewhere', () => {
    expect(bundle).not.toMatch(/@import\s+url|@font-face|<link\b/i);
  });

  it('defines every card and lists it for the card picker', () => {
    for (const card of ['sps-flow-card', 'sps-plan-card', 'sps-control-card', 'sps-device-card', 'sps-history-card']) {
      expect(bundle).toContain(`"${card}"`);
      expect(bundle).toContain(`"${card}-editor"`);
    }
    expect(bundle).toContain('customCards');
  });
});
