/// <reference lib="dom" />
/**
 * End-to-end: the Lovelace cards in Home Assistant's real frontend. A real `hass` (from .venv, with
 * `frontend:` and the bridge, which serves the cards' bundle), the real add-on as a child process
 * (`sps run … --ha-url …`, SPS_HA_TOKEN) on a Sungrow simulator in this process, a storage-mode
 * dashboard saved over the websocket API holding every card, and Debian's Chromium through
 * playwright-core, logged in by putting the harness's token into the frontend's `hassTokens`.
 * Needs the venv (scripts/setup.sh), /usr/bin/chromium and the built bundle (`pnpm build`, which
 * `pnpm test` runs first); skipped with a note without them, failed on CI.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FORCED_COMMAND_CODE, HOLDING, SungrowSimulator } from '@sps/device-sungrow';
import { connectToHa, type Connection } from '@sps/ha';
import { SpsProcess, ensureBuilt } from '../../addon/test/support/addon-process';
import { CARDS_BUNDLE, startHass, venvAvailable, type HassInstance } from './harness/hass.cjs';

const CHROMIUM = '/usr/bin/chromium';
const ready = venvAvailable() && existsSync(CHROMIUM) && existsSync(CARDS_BUNDLE);
if (!ready && process.env['CI']) throw new Error('CI needs the HA venv, Chromium and the built cards (pnpm build)');
if (!ready) console.warn('cards e2e skipped: needs .venv, /usr/bin/chromium and lovelace/dist (pnpm build)');
const describeE2e = ready ? describe : describe.skip;

const SCREENSHOT_DIR =
  process.env['SPS_SCREENSHOT_DIR'] ?? path.join(__dirname, '..', '..', '.artifacts', 'screenshots');
const DEVICE_ID = 'inverter';
const CARD_TYPES = ['sps-flow-card', 'sps-plan-card', 'sps-control-card', 'sps-device-card', 'sps-history-card'];

const hh = (h: number): string => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeE2e('the cards in the real Home Assistant frontend', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-cards-e2e-'));
  const sim = new SungrowSimulator({ realtime: true });
  let hass: HassInstance;
  let addon: SpsProcess;
  let observer: Connection;
  let browser: Browser;
  const troubles = new Map<Page, string[]>();
  const outside: string[] = [];

  const registers = () => ({
    ems: sim.holdingRegisters.get(HOLDING.EMS_MODE),
    forced: sim.holdingRegisters.get(HOLDING.FORCED_COMMAND),
  });

  const dashboard = () => ({
    title: 'Power',
    views: [
      {
        title: 'Station',
        path: 'station',
        cards: [
          { type: 'custom:sps-flow-card' },
          { type: 'custom:sps-control-card' },
          { type: 'custom:sps-plan-card' },
          { type: 'custom:sps-device-card', device: DEVICE_ID },
          { type: 'custom:sps-history-card' },
        ],
      },
      // Empty: the user fills it from HA's card picker.
      { title: 'Picked', path: 'picked', cards: [] },
    ],
  });

  async function openDashboard(
    viewport: { width: number; height: number },
    view = 'station',
    hold?: { readonly url: RegExp; readonly until: (page: Page, bundleArrived: Promise<void>) => Promise<void> },
  ): Promise<Page> {
    const context = await browser.newContext({ viewport });
    // Logged in as the harness's admin: the frontend reads its tokens from localStorage.
    await context.addInitScript(
      ({ token, origin }) => {
        window.localStorage.setItem(
          'hassTokens',
          JSON.stringify({
            access_token: token,
            token_type: 'Bearer',
            expires_in: 315360000,
            hassUrl: origin,
            clientId: `${origin}/`,
            expires: Date.now() + 315360000 * 1000,
            refresh_token: '',
          }),
        );
      },
      { token: hass.token, origin: hass.baseUrl },
    );
    // Network only on loopback. HA's own card picker previews its built-in picture cards with images
    // from demo.home-assistant.io: answered empty here and recorded; the cards themselves must ask
    // nothing outside (checked below and in lovelace/test/bundle.test.ts).
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => {
        outside.push(route.request().url());
        return route.fulfill({ status: 204 });
      },
    );
    const page = await context.newPage();
    const problems: string[] = [];
    troubles.set(page, problems);
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.stack ?? err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('requestfailed', (r) => {
      // A websocket or fetch cut by closing the page is no failure of the page.
      if (!page.isClosed()) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    // When the bundle was asked for and when it had arrived, for the message if a card never shows.
    const opened = Date.now();
    const bundle: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('smart-power-station-cards')) bundle.push(`requested at +${Date.now() - opened} ms`);
    });
    const bundleArrived = new Promise<void>((resolve) =>
      page.on('requestfinished', (r) => {
        if (!r.url().includes('smart-power-station-cards')) return;
        bundle.push(`arrived at +${Date.now() - opened} ms`);
        resolve();
      }),
    );
    if (hold) {
      // One script held back until a condition holds: the order a slow Pi or a fast cache gives.
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route(hold.url, async (route) => {
        await released;
        await route.continue();
      });
      await page.goto(`${hass.baseUrl}/lovelace/${view}`, { waitUntil: 'commit' });
      await hold.until(page, bundleArrived);
      release();
    } else {
      await page.goto(`${hass.baseUrl}/lovelace/${view}`);
    }
    if (view === 'station') {
      try {
        for (const card of CARD_TYPES) await page.waitForSelector(`${card} .card`, { timeout: 60_000 });
      } catch (err) {
        // HA upgrades a card whose element is defined after the dashboard rendered (its error card
        // waits on customElements.whenDefined, then rebuilds): a card missing for a minute means the
        // bundle never ran. No reload (a user on a slow Pi gets none); say what the page had.
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, `missing-card-${Date.now()}.png`), fullPage: true });
        const defined = await page.evaluate(
          (tags) => tags.map((t) => `${t}: ${customElements.get(t) ? 'defined' : 'undefined'}`),
          CARD_TYPES,
        );
        throw new Error(
          [String(err), `bundle: ${bundle.join(', ') || 'never requested'}`, defined.join(', '), ...problems].join(
            '\n',
          ),
        );
      }
    }
    return page;
  }

  /** The user's way into edit mode: the pencil in the dashboard's toolbar. */
  async function editMode(page: Page): Promise<void> {
    await page.getByRole('button', { name: /edit dashboard/i }).click();
    await page.getByRole('button', { name: /add card/i }).waitFor();
  }

  /** Types into one of our editor's fields inside HA's dialog and leaves it (the editor commits on change). */
  async function editField(page: Page, editor: string, field: string, value: string): Promise<void> {
    const input = page.locator(`hui-dialog-edit-card ${editor} input[name=${field}]`);
    await input.fill(value);
    await input.press('Tab');
  }

  async function viewCards(view: string): Promise<Record<string, unknown>[]> {
    const config = await observer.sendMessagePromise<{ views: { path: string; cards?: Record<string, unknown>[] }[] }>({
      type: 'lovelace/config',
    });
    return config.views.find((v) => v.path === view)?.cards ?? [];
  }

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const simPort = await sim.start({ host: '127.0.0.1', port: 0 });
    const h = new Date().getUTCHours();
    const optionsFile = path.join(tmp, 'options.yaml');
    writeFileSync(
      optionsFile,
      [
        'devices:',
        '  - name: Inverter',
        '    driver: sungrow-sh',
        '    host: 127.0.0.1',
        `    port: ${simPort}`,
        '    poll_interval_s: 1',
        // Cheap now, a peak in three hours: the plan charges now, then sells at the peak.
        'tariff:',
        '  provider: tou',
        '  currency: AUD',
        '  time_zone: UTC',
        `  periods: "peak all ${hh(h + 3)}-${hh(h + 6)} 0.60/0.30; offpeak all ${hh(h + 6)}-${hh(h + 3)} 0.05/0.01"`,
        'forecast:',
        '  load: none',
        '  time_zone: UTC',
      ].join('\n'),
    );
    // recorder as in every real HA (default_config): HA's frontend asks `recorder/info` (the card
    // dialog, the app's start) and an HA without it answers "unknown command", an unhandled rejection.
    hass = await startHass({ extraYaml: 'frontend:\nrecorder:\n' });
    observer = await connectToHa({ url: hass.wsUrl, token: hass.token });
    addon = new SpsProcess(
      [
        'run',
        '--config',
        optionsFile,
        '--data-dir',
        path.join(tmp, 'data'),
        '--port',
        '0',
        '--ha-url',
        hass.wsUrl,
        '--ha-config-dir',
        hass.configDir,
      ],
      { SPS_HA_TOKEN: hass.token },
    );
    await addon.url();
    // The add-on answers the cards' queries once its session with the bridge is up and it has a plan.
    await until(
      'a plan through smart_power_station/query',
      async () => {
        const body = await observer.sendMessagePromise<{ plan: unknown }>({
          type: 'smart_power_station/query',
          path: '/api/plan',
        });
        return body.plan ? body : undefined;
      },
      60_000,
    );
    await observer.sendMessagePromise({ type: 'lovelace/config/save', config: dashboard() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    observer?.close();
    await addon?.kill();
    await hass?.remove();
    await sim.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('serves the bundle from the bridge and loads it on every page', async () => {
    const { body } = await hass.api('/api/config');
    expect(body.components).toContain('smart_power_station');
    const index = await (await fetch(`${hass.baseUrl}/`)).text();
    const url = /\/smart_power_station\/smart-power-station-cards\.js\?v=[0-9a-f]{12}/.exec(index)?.[0];
    expect(url).toBeDefined();
    const bundle = await fetch(`${hass.baseUrl}${url ?? ''}`);
    expect(bundle.status).toBe(200);
  });

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1366, height: 900 },
  ]) {
    it(`every card renders live data from the add-on at ${viewport.width}×${viewport.height}`, async () => {
      const page = await openDashboard(viewport);
      const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';
      await until(
        'the flow card shows grid, solar and home with their power',
        async () => {
          const t = await text('sps-flow-card .card');
          return /Grid/.test(t) && /Solar/.test(t) && /\d+(\.\d+)? k?W/.test(t) ? true : undefined;
        },
        30_000,
      );
      await until(
        'the device card shows the inverter online',
        async () => {
          const t = await text('sps-device-card .card');
          return /online/i.test(t) && /%/.test(t) ? true : undefined;
        },
        30_000,
      );
      await until(
        'the plan card shows the next action',
        async () => (/Now:/.test(await text('sps-plan-card .card')) ? true : undefined),
        30_000,
      );
      await until(
        'the control card shows the optimiser',
        async () => (/Optimiser/.test(await text('sps-control-card .card')) ? true : undefined),
        30_000,
      );
      await until(
        'the history card draws a series',
        async () => ((await page.$('sps-history-card svg path')) ? true : undefined),
        30_000,
      );
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: path.join(SCREENSHOT_DIR, `ha-dashboard-${viewport.width}x${viewport.height}.png`),
        fullPage: true,
      });
      expect(troubles.get(page)).toEqual([]);
      await page.context().close();
    }, 120_000);
  }

  it('a force charge with a duration from the control card reaches the simulator and the plan, then ends by itself', async () => {
    const page = await openDashboard({ width: 1366, height: 900 });
    await page.waitForSelector('sps-control-card button.start:not([disabled])', { timeout: 30_000 });
    await page.click('sps-control-card button[role=radio]:has-text("Charge")');
    await page.fill('sps-control-card input[name=duration]', '1');
    await page.fill('sps-control-card input[name=power]', '1.5');
    await page.click('sps-control-card button.start');
    await page.waitForSelector('sps-control-card .banner.ok', { timeout: 20_000 });
    await until(
      'forced charge in the registers',
      () => {
        const r = registers();
        return r.ems === 2 && r.forced === FORCED_COMMAND_CODE.charge ? r : undefined;
      },
      20_000,
    );
    const plan = await observer.sendMessagePromise<{
      override: { kind: string; power_w?: number } | null;
      plan: { interval_minutes: number; intervals: { start: string; override?: boolean; action: string }[] };
    }>({ type: 'smart_power_station/query', path: '/api/plan' });
    expect(plan.override).toMatchObject({ kind: 'force_charge', power_w: 1500 });
    // The plan in force may be a few minutes old: its first intervals can already be over (and are
    // left as planned); the interval running now is the override's.
    const stepMs = plan.plan.interval_minutes * 60_000;
    const current = plan.plan.intervals.find((i) => Date.parse(i.start) + stepMs > Date.now());
    expect(current).toMatchObject({ override: true, action: 'CHARGE' });
    await page.waitForSelector('sps-control-card section[aria-label="Active override"]', { timeout: 30_000 });
    await until(
      'the plan card marks the override',
      async () => (/override/i.test((await page.textContent('sps-plan-card .card')) ?? '') ? true : undefined),
      30_000,
    );
    // One minute later it ends by itself: no override, and the card's section goes away.
    await until(
      'the override ends',
      async () => {
        const p = await observer.sendMessagePromise<{ override: unknown }>({
          type: 'smart_power_station/query',
          path: '/api/plan',
        });
        return p.override === null ? true : undefined;
      },
      120_000,
    );
    await page.waitForSelector('sps-control-card section[aria-label="Active override"]', {
      state: 'detached',
      timeout: 60_000,
    });
    expect(troubles.get(page)).toEqual([]);
    await page.context().close();
  }, 240_000);

  it('cards rendered before the bundle arrived upgrade by themselves (no reload)', async () => {
    const page = await openDashboard({ width: 390, height: 844 }, 'station', {
      url: /smart-power-station-cards\.js/,
      // HA's placeholder for a card whose element is not defined yet, one per card.
      until: (p) =>
        p
          .locator('hui-error-card')
          .nth(CARD_TYPES.length - 1)
          .waitFor({ state: 'attached', timeout: 60_000 }),
    });
    // openDashboard waited for every card's content; nothing of HA's error card is left.
    await expect(page.locator('hui-error-card').count()).resolves.toBe(0);
    expect(troubles.get(page)).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("the bundle arriving before HA's app (whose registry polyfill replaces customElements) still gives every card", async () => {
    const page = await openDashboard({ width: 390, height: 844 }, 'station', {
      url: /\/frontend_latest\/app\.[0-9a-f]+\.js/,
      // HA's app held until the bundle is in and the page has had two frames to run it.
      until: async (p, bundleArrived) => {
        await bundleArrived;
        await p.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      },
    });
    expect(troubles.get(page)).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("a user adds every card from HA's card picker, through each card's editor in HA's dialog", async () => {
    const page = await openDashboard({ width: 1366, height: 900 }, 'picked');
    await editMode(page);
    const listed = await page.evaluate(() => (window as unknown as { customCards?: unknown[] }).customCards ?? []);
    for (const type of CARD_TYPES) {
      expect(listed).toContainEqual(
        expect.objectContaining({
          type,
          name: expect.stringMatching(/^Smart Power Station: /) as unknown,
          description: expect.any(String) as unknown,
          preview: true,
        }),
      );
    }
    const names = (listed as { type: string; name: string }[]).filter((c) => CARD_TYPES.includes(c.type));
    for (const { type, name } of names) {
      await page.getByRole('button', { name: /add card/i }).click();
      const picker = page.locator('hui-card-picker');
      await picker.getByRole('textbox', { name: /search/i }).fill('Smart Power Station');
      // All five are offered (further down the list may be outside the dialog's scrolled area).
      for (const c of names) await picker.locator('.card-header', { hasText: c.name }).waitFor({ state: 'attached' });
      // The whole card is the target (HA lays an overlay over the live preview).
      await picker.locator('.card', { hasText: name }).click();
      // Our visual editor (getConfigElement), inside HA's "card configuration" dialog, beside HA's preview.
      await page.locator(`hui-dialog-edit-card ${type}-editor`).waitFor();
      if (type === 'sps-device-card') {
        // The device field is a picker of the add-on's devices once the editor has them.
        await page.locator('hui-dialog-edit-card sps-device-card-editor select[name=device]').selectOption(DEVICE_ID);
      }
      await editField(page, `${type}-editor`, 'title', `Picked ${type}`);
      await page.locator(`hui-dialog-edit-card hui-card ${type} h2`, { hasText: `Picked ${type}` }).waitFor();
      await page.getByRole('button', { name: /^save$/i }).click();
      await page.locator('hui-dialog-edit-card').waitFor({ state: 'hidden' });
      await page.locator(`hui-view ${type} h2`, { hasText: `Picked ${type}` }).waitFor();
    }
    const saved = await viewCards('picked');
    expect(saved).toEqual(
      CARD_TYPES.map((t) => expect.objectContaining({ type: `custom:${t}`, title: `Picked ${t}` })),
    );
    expect(saved.find((c) => c['type'] === 'custom:sps-device-card')).toMatchObject({ device: DEVICE_ID });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-picked-cards-1366x900.png'), fullPage: true });
    expect(troubles.get(page)).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("a card on the dashboard opens its editor from HA's Edit, and what it saves is the dashboard's and the card's", async () => {
    // At 1366 px the pencil is in the toolbar (on a phone it sits in the ⋮ menu).
    const page = await openDashboard({ width: 1366, height: 900 });
    await editMode(page);
    await page
      .locator('hui-card-options', { has: page.locator('sps-plan-card') })
      .getByRole('button', { name: /^edit$/i })
      .click();
    await page.locator('hui-dialog-edit-card sps-plan-card-editor').waitFor();
    await editField(page, 'sps-plan-card-editor', 'title', 'My plan');
    await page.locator('hui-dialog-edit-card hui-card sps-plan-card h2', { hasText: 'My plan' }).waitFor();
    await page.getByRole('button', { name: /^save$/i }).click();
    await page.locator('hui-dialog-edit-card').waitFor({ state: 'hidden' });
    await expect(viewCards('station')).resolves.toContainEqual({ type: 'custom:sps-plan-card', title: 'My plan' });
    await page.getByRole('button', { name: /^done$/i }).click();
    await page.locator('sps-plan-card .card h2', { hasText: 'My plan' }).waitFor();
    expect(troubles.get(page)).toEqual([]);
    await page.context().close();
    // A page opened afterwards shows it too (the frontend read it back from HA's storage).
    const again = await openDashboard({ width: 1366, height: 900 });
    await again.locator('sps-plan-card .card h2', { hasText: 'My plan' }).waitFor();
    expect(troubles.get(again)).toEqual([]);
    await again.context().close();
    expect(outside.filter((u) => !u.startsWith('https://demo.home-assistant.io/stub_config/'))).toEqual([]);
  }, 120_000);

  it('when the add-on stops, the cards grey out and disable their commands', async () => {
    const page = await openDashboard({ width: 390, height: 844 });
    await page.waitForSelector('sps-control-card button.start:not([disabled])', { timeout: 30_000 });
    addon.child.kill('SIGTERM');
    expect((await addon.exitWithin(30_000)).code).toBe(0);
    await page.waitForSelector('sps-control-card .banner.stale', { timeout: 60_000 });
    await expect(page.isDisabled('sps-control-card button.start')).resolves.toBe(true);
    await page.screenshot({
      path: path.join(SCREENSHOT_DIR, 'ha-dashboard-addon-stopped-390x844.png'),
      fullPage: true,
    });
    await page.context().close();
  }, 120_000);
});
