/**
 * The cards in a real browser (Debian's Chromium through playwright-core), on a loopback page that
 * loads only the bundle: inside HA (a fake `hass` whose `smart_power_station/query` is answered by
 * the test server, as the bridge answers it from the add-on) and in the panel (HttpDataSource against
 * the same server). At 390×844 and 1366×900 every text is ≥ 11 px, every touch target ≥ 40 px, no
 * chart label is cut off, and no request leaves the page's origin.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildBundle, CardTestServer } from './browser-page.js';
import { CARD_CONFIGS, cardTexts, measure, mountCards, type Host } from './page-scripts.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI']) throw new Error(`CI needs ${CHROMIUM}: run scripts/setup.sh`);
const describeWithBrowser = haveChromium ? describe : describe.skip;
if (!haveChromium) console.warn(`card browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const SCREENSHOT_DIR = process.env['SPS_SCREENSHOT_DIR'] ?? path.join(os.tmpdir(), 'sps-card-screenshots');
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1366, height: 900 },
] as const;

describeWithBrowser('the cards in Chromium', () => {
  let server: CardTestServer;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const outside: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = new CardTestServer(buildBundle());
    origin = await server.start();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
    // Anything not from the page's own origin is a request outside HA: refused and recorded.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      outside.push(url);
      return route.abort('blockedbyclient');
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function mount(host: Host, width: number, height: number, unavailable = false): Promise<void> {
    await page.setViewportSize({ width, height });
    await page.goto(origin);
    await page.waitForFunction(() => customElements.get('sps-history-card') !== undefined);
    await page.evaluate(mountCards, { host, configs: CARD_CONFIGS, unavailable });
  }

  /** Every card has loaded: no "Waiting…", no "loading…", the plan and history drawn. */
  async function settled(): Promise<string[]> {
    await page.waitForFunction(
      () => {
        const cards = Array.from(document.getElementById('cards')!.children);
        return cards.every((c) => {
          const text = c.shadowRoot?.textContent ?? '';
          return text !== '' && !text.includes('Waiting') && !text.includes('loading…');
        });
      },
      undefined,
      { timeout: 20_000 },
    );
    return page.evaluate(cardTexts);
  }

  for (const host of ['ha', 'panel'] as const) {
    for (const size of SIZES) {
      it(`renders every card ${host === 'ha' ? 'inside HA' : 'in the panel'} at ${size.width}×${size.height}, readable and touchable`, async () => {
        await mount(host, size.width, size.height);
        const texts = await settled();
        const [flow, plan, table, control, station, relay, history] = texts;
        expect(flow).toContain('Power station');
        expect(flow).toContain('P1');
        expect(flow).toContain('2.35 kW'); // solar
        expect(flow).toContain('connection refused'); // P4's availability reason
        expect(plan).toContain('Next:');
        expect(plan).toContain('Override: force charge');
        expect(plan).toMatch(/AUD\s?2\.90|A?\$2\.90/);
        expect(table).toContain('Saved (cum.)');
        expect(control).toContain('Cancel override');
        expect(station).toContain('Battery state of charge');
        expect(station).toContain('64 %');
        expect(relay).toContain('unavailable');
        expect(relay).toContain('connection refused');
        expect(history).toContain('State of charge');
        expect(history).toContain('without optimiser');

        // The plan card's chart: its hover tooltip shows the interval's reason.
        const chart = page.locator('sps-plan-card').first().locator('.chart');
        await chart.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        if (!box) throw new Error('no plan chart');
        await page.mouse.move(box.x + box.width * 0.5, box.y + 60);
        await page.waitForFunction(
          () => {
            const tip = document.querySelector('sps-plan-card')?.shadowRoot?.querySelector('.tooltip');
            return /charging|export|self-consumption/.test(tip?.textContent ?? '');
          },
          undefined,
          { timeout: 10_000 },
        );

        const m = await page.evaluate(measure);
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, `cards-${host}-${size.name}.png`), fullPage: true });
        const cards = page.locator('#cards > *');
        for (let k = 0; k < (await cards.count()); k++) {
          const file = `card-${host}-${size.name}-${k}-${String(CARD_CONFIGS[k]?.['type']).slice(11)}.png`;
          await cards.nth(k).screenshot({ path: path.join(SCREENSHOT_DIR, file) });
        }
        expect(m.textCount).toBeGreaterThan(50);
        expect(m.targetCount).toBeGreaterThan(10);
        expect(m.smallText).toEqual([]);
        expect(m.smallTargets).toEqual([]);
        expect(m.cutOff).toEqual([]);
        expect(m.overflowingCards).toEqual([]);
        expect(m.overlapping).toEqual([]);
        expect(outside).toEqual([]);
        expect(pageErrors).toEqual([]);
      });
    }
  }

  it("the plan chart's tooltip is reachable from the keyboard", async () => {
    await mount('ha', 1366, 900);
    await settled();
    const chart = page.locator('sps-plan-card').first().locator('.chart');
    await chart.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const tip = page.locator('sps-plan-card').first().locator('.tooltip');
    await tip.waitFor();
    expect(await tip.textContent()).toMatch(/covers the load|charging|export/);
    await page.keyboard.press('Escape');
    await tip.waitFor({ state: 'detached' });
  });

  it('the control card sends a timed override through the services and shows a refusal with its reason', async () => {
    await mount('ha', 390, 844);
    await settled();
    const control = page.locator('sps-control-card');
    // Empty power, a preset duration: the service gets no power (the battery's maximum), not 0 W.
    await control.getByRole('button', { name: '2 h' }).click();
    await control.getByRole('button', { name: 'Start' }).click();
    await control.getByText('Override started').waitFor();
    // 0 kW is refused in the form, before anything is sent.
    await control.locator('input[name=power]').fill('0');
    await control.getByRole('button', { name: 'Start' }).click();
    await control.getByText(/power: enter more than 0 kW/).waitFor();
    // The fake HA refuses discharges as the safety guard would; the card shows the reason.
    await control.getByRole('radio', { name: 'Discharge' }).click();
    await control.locator('input[name=power]').fill('2.5');
    await control.locator('input[name=duration]').fill('45');
    await control.getByRole('button', { name: 'Start' }).click();
    await control.getByText(/Refused: refused by the safety guard: below the backup reserve/).waitFor();
    await control.getByRole('button', { name: 'Cancel override' }).click();
    const calls = await page.evaluate(() => (window as unknown as { __serviceCalls: unknown[] }).__serviceCalls);
    expect(calls).toEqual([
      { domain: 'smart_power_station', service: 'force_charge', data: { device_id: 'station', duration_minutes: 120 } },
      {
        domain: 'smart_power_station',
        service: 'force_discharge',
        data: { device_id: 'station', duration_minutes: 45, power_kw: 2.5 },
      },
      { domain: 'smart_power_station', service: 'restore_normal', data: { device_id: 'station' } },
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('greys out every card and disables its commands when HA reports the add-on gone', async () => {
    await mount('ha', 390, 844, true);
    await page.waitForFunction(() =>
      Array.from(document.getElementById('cards')!.children).every((c) => c.hasAttribute('stale')),
    );
    const enabledCommands = await page.evaluate(() => {
      const cards = Array.from(document.querySelectorAll('sps-control-card, sps-device-card'));
      return cards.flatMap((c) =>
        Array.from(c.shadowRoot?.querySelectorAll('button.primary, button.optimiser, .controls button') ?? [])
          .filter((b) => !(b as HTMLButtonElement).disabled)
          .map((b) => b.textContent?.trim()),
      );
    });
    expect(enabledCommands).toEqual([]);
    await page
      .locator('sps-flow-card')
      .getByText(/Offline/)
      .waitFor();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'cards-ha-phone-stale.png'), fullPage: true });
  });

  it("lists every card for HA's card picker, with a name, a description and a preview", async () => {
    await page.goto(origin);
    await page.waitForFunction(() => customElements.get('sps-history-card') !== undefined);
    const listed = await page.evaluate(() => (window as unknown as { customCards?: unknown[] }).customCards ?? []);
    const tags = ['sps-flow-card', 'sps-plan-card', 'sps-control-card', 'sps-device-card', 'sps-history-card'];
    expect(listed).toHaveLength(tags.length);
    for (const type of tags) {
      expect(listed).toContainEqual(
        expect.objectContaining({
          type,
          name: expect.stringMatching(/^Smart Power Station: \S/) as unknown,
          description: expect.stringMatching(/\S{3}/) as unknown,
          preview: true,
        }),
      );
    }
  });

  it('opens each card editor, readable and touchable, and reports the edited config', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(origin);
    await page.waitForFunction(() => customElements.get('sps-history-card') !== undefined);
    const events = await page.evaluate(async () => {
      const root = document.getElementById('cards')!;
      const seen: unknown[] = [];
      for (const tag of ['sps-flow-card', 'sps-plan-card', 'sps-control-card', 'sps-device-card', 'sps-history-card']) {
        const card = customElements.get(tag) as unknown as {
          getConfigElement(): HTMLElement & { setConfig(c: unknown): void };
          getStubConfig(): Record<string, unknown>;
        };
        const editor = card.getConfigElement();
        editor.setConfig(card.getStubConfig());
        editor.addEventListener('config-changed', (e) => seen.push((e as CustomEvent).detail.config));
        root.append(editor);
      }
      await new Promise((r) => requestAnimationFrame(r));
      // Edit one field in each editor: its first text field, or its first checkbox.
      for (const editor of Array.from(root.children)) {
        const input = editor.shadowRoot?.querySelector('input[name=title]') as HTMLInputElement | null;
        if (!input) continue;
        input.value = 'Mine';
        input.dispatchEvent(new Event('change'));
      }
      return seen;
    });
    expect(events).toHaveLength(5);
    for (const config of events) expect(config).toMatchObject({ title: 'Mine' });
    const m = await page.evaluate(measure);
    expect(m.smallText).toEqual([]);
    expect(m.smallTargets).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'editors-phone.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows each battery with its SOC, and the house meter, in a mixed household', async () => {
    server.inverter = true;
    try {
      await mount('ha', 390, 844);
      const [flow] = await settled();
      expect(flow).toContain('2 batteries');
      expect(flow).toMatch(/64 % Power station charging 1\.2 kW/);
      expect(flow).toMatch(/81 % Sungrow SH10RT discharging 2\.5 kW/);
      expect(flow).toContain('3.1 kW export'); // the inverter's meter, not the station's P1
      expect(flow).toContain('7.95 kW'); // solar: the station's P4 and the inverter's PV
      const m = await page.evaluate(measure);
      expect(m.smallText).toEqual([]);
      expect(m.overflowingCards).toEqual([]);
      await page
        .locator('sps-flow-card')
        .screenshot({ path: path.join(SCREENSHOT_DIR, 'card-ha-phone-flow-mixed.png') });
    } finally {
      server.inverter = false;
    }
  });

  it('off-grid: the plan card shows the reserve, when the house would go dark, the Dark lane and the load decision', async () => {
    server.offGrid = true;
    try {
      await mount('ha', 390, 844);
      const texts = await settled();
      const plan = texts.find((t) => t.includes('Off-grid:'));
      expect(plan).toBeDefined();
      expect(plan).toMatch(/lowest 1\.0 kWh at .*\(reserve 2\.9 kWh, 1\.9 kWh below\)/s);
      expect(plan).toMatch(/The house would go dark\s+from .*\(0\.5 kWh not served\)/s);
      expect(plan).toMatch(/pool_pump\s*:\s*off\s*— the battery would cross its 30\.0 % reserve/);
      expect(plan).toContain('load not served');
      expect(plan).not.toContain('Predicted savings');
      // No tariff off-grid: no price axis or price lines.
      expect(plan).not.toContain('XXX/kWh');
      expect(plan).not.toContain('import price');
      const m = await page.evaluate(measure);
      expect(m.smallText).toEqual([]);
      expect(m.overflowingCards).toEqual([]);
      await page
        .locator('sps-plan-card')
        .first()
        .screenshot({ path: path.join(SCREENSHOT_DIR, 'card-ha-phone-plan-off-grid.png') });
    } finally {
      server.offGrid = false;
    }
  });

  it("follows a dark theme's variables", async () => {
    await mount('ha', 390, 844);
    await settled();
    await page.evaluate(() => document.body.classList.add('dark'));
    const colours = await page.evaluate(() =>
      Array.from(document.getElementById('cards')!.children).map((c) => {
        const card = c.shadowRoot!.querySelector('.card')!;
        const title = c.shadowRoot!.querySelector('h2')!;
        return { background: getComputedStyle(card).backgroundColor, text: getComputedStyle(title).color };
      }),
    );
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'cards-ha-phone-dark.png'), fullPage: true });
    for (const c of colours) expect(c).toEqual({ background: 'rgb(28, 28, 28)', text: 'rgb(225, 225, 225)' });
  });

  it("the device card's editor picks from the add-on's devices, and its stub names one that exists", async () => {
    await mount('ha', 390, 844);
    await settled();
    const chosen = await page.evaluate(async () => {
      const w = window as unknown as { __hass: unknown };
      const Card = customElements.get('sps-device-card') as unknown as {
        getStubConfig(hass: unknown): Record<string, unknown>;
        getConfigElement(): HTMLElement & { setConfig(c: unknown): void; hass: unknown };
      };
      const stub = Card.getStubConfig(w.__hass);
      const editor = Card.getConfigElement();
      editor.hass = w.__hass;
      editor.setConfig(stub);
      const changed = new Promise<unknown>((resolve) =>
        editor.addEventListener('config-changed', (e) => resolve((e as CustomEvent).detail.config)),
      );
      document.body.append(editor);
      await new Promise((r) => requestAnimationFrame(r));
      const select = editor.shadowRoot?.querySelector('select[name=device]') as HTMLSelectElement | null;
      if (!select) throw new Error('no device picker');
      const options = Array.from(select.options).map((o) => o.value);
      select.value = 'relay-4';
      select.dispatchEvent(new Event('change'));
      return { stub, options, config: await changed };
    });
    expect(chosen.stub).toEqual({ type: 'custom:sps-device-card', device: 'station' });
    expect(chosen.options).toEqual(['station', 'relay-1', 'relay-2', 'relay-3', 'relay-4']);
    expect(chosen.config).toEqual({ type: 'custom:sps-device-card', device: 'relay-4' });
  });

  for (const size of SIZES) {
    it(`the add-on panel (<sps-panel>) is the same cards, one per device, at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.goto(origin);
      await page.waitForFunction(() => customElements.get('sps-panel') !== undefined);
      await page.evaluate(async () => {
        const load = new Function('return import("/sps.js")') as () => Promise<unknown>;
        const { HttpDataSource } = (await load()) as { HttpDataSource: new () => unknown };
        const panel = document.createElement('sps-panel') as HTMLElement & { source: unknown };
        panel.source = new HttpDataSource();
        document.getElementById('cards')!.replaceWith(panel);
      });
      await page.waitForFunction(() => {
        const cards = Array.from(document.querySelector('sps-panel')?.shadowRoot?.querySelectorAll('*') ?? []).filter(
          (e) => e.tagName.startsWith('SPS-'),
        );
        return (
          cards.filter((c) => c.tagName === 'SPS-DEVICE-CARD').length === 5 &&
          cards.every((c) => {
            const text = c.shadowRoot?.textContent ?? '';
            return text !== '' && !text.includes('Waiting') && !text.includes('loading…');
          })
        );
      });
      const m = await page.evaluate(measure);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `panel-${size.name}.png`), fullPage: true });
      expect(m.smallText).toEqual([]);
      expect(m.smallTargets).toEqual([]);
      expect(m.cutOff).toEqual([]);
      expect(m.overlapping).toEqual([]);
      expect(outside).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  }
});
