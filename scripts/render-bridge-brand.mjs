#!/usr/bin/env node
// Renders the integration's brand images from their SVG sources (assets/brand/bridge-*.svg) with Chromium
// through playwright-core (the add-on's dev dependency; the browser tests use the same Chromium):
//
//   node scripts/render-bridge-brand.mjs
//
// Sizes follow HA's brands repository rules: icon.png 256×256 and icon@2x.png 512×512 (square), logo.png with
// its shortest side 128 px and logo@2x.png 256 px, both trimmed to the drawing, transparent background.
// Written twice, in the two places HA reads them from:
//   integration-bridge/custom_components/smart_power_station/brand/   read by HA 2026.3 and later
//   integration-bridge/brands/custom_integrations/smart_power_station/ the brands repository's layout, for the
//                                                                       brands CDN older HA versions (2025.4+) use
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'addon/package.json'));
const { chromium } = require('playwright-core');

const OUT = [
  path.join(root, 'integration-bridge/custom_components/smart_power_station/brand'),
  path.join(root, 'integration-bridge/brands/custom_integrations/smart_power_station'),
];

const CHROMIUM = process.env.SPS_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshot of an SVG trimmed to its drawing, scaled so its height is `height` px. */
async function render(page, svgFile, height, square) {
  const svg = await readFile(svgFile, 'utf8');
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`, {
    waitUntil: 'load',
  });
  return page.evaluate(
    ({ height, square }) => {
      const el = globalThis.document.querySelector('svg');
      // Trim to what is drawn (the text's real width depends on the font Chromium finds).
      const box = el.getBBox();
      const width = square ? height : Math.ceil((box.width / box.height) * height);
      el.setAttribute('viewBox', square ? el.getAttribute('viewBox') : `${box.x} ${box.y} ${box.width} ${box.height}`);
      el.setAttribute('width', String(width));
      el.setAttribute('height', String(height));
      return { width, height };
    },
    { height, square },
  );
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    const jobs = [
      ['bridge-icon.svg', 'icon.png', 256, true],
      ['bridge-icon.svg', 'icon@2x.png', 512, true],
      ['bridge-logo.svg', 'logo.png', 128, false],
      ['bridge-logo.svg', 'logo@2x.png', 256, false],
    ];
    for (const [source, name, height, square] of jobs) {
      const size = await render(page, path.join(root, 'assets/brand', source), height, square);
      const png = await page.locator('svg').screenshot({ omitBackground: true });
      for (const dir of OUT) {
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, name), png);
      }
      console.log(`${name}: ${size.width}×${size.height}`);
    }
  } finally {
    await browser.close();
  }
}

await main();
