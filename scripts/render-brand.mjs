// Renders the add-on's store images from their SVG sources: assets/icon.svg → icon.png (128×128) and
// assets/logo.svg → logo.png (250×100), the sizes HA's add-on docs ask for (docs/apps/presentation.md).
//
//   node_modules/.bin/node scripts/render-brand.mjs
//
// Debian's Chromium (/usr/bin/chromium, installed by scripts/setup.sh) draws them through playwright-core (a
// development dependency of addon/), with a transparent background. The PNGs are committed: the Supervisor reads
// them from the repository, and nothing renders them at install time. Run this after changing an SVG.
// SPS_BRAND_OUT writes the PNGs to another folder (tests/packaging/addon-store.test.ts renders into a temporary one).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.env.SPS_BRAND_OUT ?? root;
const { chromium } = createRequire(path.join(root, 'addon', 'package.json'))('playwright-core');

const IMAGES = [
  { source: 'assets/icon.svg', target: 'icon.png', width: 128, height: 128 },
  { source: 'assets/logo.svg', target: 'logo.png', width: 250, height: 100 },
];

const browser = await chromium.launch({ executablePath: process.env.SPS_CHROMIUM ?? '/usr/bin/chromium' });
try {
  for (const { source, target, width, height } of IMAGES) {
    const svg = readFileSync(path.join(root, source), 'utf8');
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:transparent;overflow:hidden">${svg}</body></html>`,
    );
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width, height } });
    await page.close();
    writeFileSync(path.join(outDir, target), png);
    console.log(`${source} → ${target} (${width}×${height}, ${png.length} bytes)`);
  }
} finally {
  await browser.close();
}
