// Bundles lovelace/src/index.ts into ONE ES module (lit and zod inside, no imports left, nothing
// fetched at runtime): lovelace/dist/smart-power-station-cards.js, or the path given as the first argument. Run after `tsc -b` (which
// type-checks the sources); the root scripts `build`, `start` and `test` do both.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// An output path as the first argument: tests bundle into a folder of their own, so two test files building at
// once never read each other's half-written file.
export const BUNDLE = process.argv[2] ?? join(root, 'dist', 'smart-power-station-cards.js');

/**
 * zod re-exports all of its ~50 translations as `z.locales` (260 KiB minified); the cards use only its
 * built-in English messages, which zod's schemas import on their own. The namespace becomes empty.
 */
const zodWithoutLocales = {
  name: 'zod-without-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'sps-empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sps-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

const result = await build({
  plugins: [zodWithoutLocales],
  entryPoints: [join(root, 'src', 'index.ts')],
  outfile: BUNDLE,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // HA's frontend supports the last two years of evergreen browsers; so does the panel.
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'eof',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.error(`lovelace: ${BUNDLE} (${Math.round(bytes / 1024)} KiB)`);
