/**
 * Functions that run inside the page (passed to page.evaluate, so they must not close over anything
 * of this module): mounting the cards on a fake `hass` or on the panel's HttpDataSource, and
 * measuring the DOM (text size, touch targets, labels cut off).
 */

export type Host = 'ha' | 'panel';

export const CARD_CONFIGS: readonly Record<string, unknown>[] = [
  { type: 'custom:sps-flow-card' },
  { type: 'custom:sps-plan-card' },
  { type: 'custom:sps-plan-card', view: 'table', title: 'Plan table', hours: 12 },
  { type: 'custom:sps-control-card' },
  { type: 'custom:sps-device-card', device: 'station' },
  { type: 'custom:sps-device-card', device: 'relay-4' },
  { type: 'custom:sps-history-card' },
];

/** Mounts every card; inside HA through a fake `hass` whose `callWS` query is answered like the bridge's. */
export async function mountCards(args: {
  host: Host;
  configs: readonly Record<string, unknown>[];
  unavailable: boolean;
}): Promise<void> {
  const w = window as unknown as Record<string, unknown>;
  const root = document.getElementById('cards')!;
  root.replaceChildren();
  const calls: unknown[] = [];
  w['__serviceCalls'] = calls;
  const platform = 'smart_power_station';
  const state = (entity_id: string, s: string, attributes: Record<string, unknown> = {}): Record<string, unknown> => ({
    entity_id,
    state: args.unavailable ? 'unavailable' : s,
    attributes,
  });
  const hass = {
    language: 'en',
    locale: { language: 'en', time_format: '24', time_zone: 'server' },
    config: { time_zone: 'Australia/Sydney' },
    states: {
      'switch.sps_optimisation': state('switch.sps_optimisation', 'on', { friendly_name: 'SPS Optimisation' }),
      'select.sps_goal': state('select.sps_goal', 'cost', { options: ['cost', 'self_consumption', 'off'] }),
      'sensor.power_station_battery_soc': state('sensor.power_station_battery_soc', '64', { unit_of_measurement: '%' }),
      'switch.grid_charger_relay_relay': state('switch.grid_charger_relay_relay', 'on', {
        friendly_name: 'Grid charger relay Relay',
      }),
    },
    entities: {
      'switch.sps_optimisation': { entity_id: 'switch.sps_optimisation', device_id: 'dev-opt', platform },
      'select.sps_goal': { entity_id: 'select.sps_goal', device_id: 'dev-opt', platform },
      'sensor.power_station_battery_soc': {
        entity_id: 'sensor.power_station_battery_soc',
        device_id: 'dev-station',
        platform,
      },
      'switch.grid_charger_relay_relay': {
        entity_id: 'switch.grid_charger_relay_relay',
        device_id: 'dev-r1',
        platform,
        name: 'Relay',
      },
    },
    devices: {
      'dev-opt': { id: 'dev-opt', name: 'Smart Power Station optimiser' },
      'dev-station': { id: 'dev-station', name: 'Power station' },
      'dev-r1': { id: 'dev-r1', name: 'Grid charger relay' },
    },
    themes: { darkMode: false },
    async callWS(msg: { type: string; path?: string }): Promise<unknown> {
      if (msg.type !== 'smart_power_station/query' || typeof msg.path !== 'string') {
        throw { code: 'unknown_command', message: 'Unknown command.' };
      }
      // The bridge proxies the GET to the add-on; here the test server plays the add-on.
      const response = await fetch(msg.path);
      const body: unknown = await response.json();
      if (!response.ok) throw { code: 'home_assistant_error', message: (body as { error: string }).error };
      return body;
    },
    async callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown> {
      calls.push({ domain, service, data });
      if (service === 'force_discharge') {
        throw { code: 'home_assistant_error', message: 'refused by the safety guard: below the backup reserve (20 %)' };
      }
      return { context: {} };
    },
  };
  w['__hass'] = hass;
  // Through Function: the test's compiler would turn a literal import() into require().
  const load = new Function('return import("/sps.js")') as () => Promise<unknown>;
  const module = (await load()) as {
    HttpDataSource: new (o?: Record<string, unknown>) => unknown;
  };
  const source = args.host === 'panel' ? new module.HttpDataSource() : null;
  for (const config of args.configs) {
    const tag = String(config['type']).replace('custom:', '');
    const card = document.createElement(tag) as HTMLElement & {
      setConfig(c: unknown): void;
      hass: unknown;
      source: unknown;
    };
    card.setConfig(config);
    if (source) card.source = source;
    else card.hass = hass;
    root.append(card);
  }
}

export interface Measurement {
  readonly smallText: string[];
  readonly smallTargets: string[];
  readonly cutOff: string[];
  readonly overflowingCards: string[];
  /** Chart labels drawn over one another. */
  readonly overlapping: string[];
  readonly textCount: number;
  readonly targetCount: number;
}

/** Text ≥ 11 px, touch targets ≥ 40 × 40 px, chart labels inside their chart, no card wider than itself. */
export function measure(): Measurement {
  // Redeclared here: page functions cannot reach this module's scope.
  const elements: Element[] = [];
  const walk = (root: Document | ShadowRoot): void => {
    for (const el of Array.from(root.querySelectorAll('*'))) {
      elements.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const visible = (el: Element): DOMRect | null => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return null;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return null;
    return r;
  };
  const name = (el: Element): string =>
    `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
  const smallText: string[] = [];
  const smallTargets: string[] = [];
  const cutOff: string[] = [];
  const overflowingCards: string[] = [];
  const overlapping: string[] = [];
  let textCount = 0;
  let targetCount = 0;
  for (const el of elements) {
    const hasText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && (n.textContent ?? '').trim() !== '');
    if (hasText && el.tagName !== 'STYLE' && el.tagName !== 'SCRIPT' && el.tagName !== 'OPTION' && visible(el)) {
      textCount++;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 11) smallText.push(`${name(el)} ${size}px`);
    }
    const tag = el.tagName.toLowerCase();
    const isCheckbox = tag === 'input' && (el as HTMLInputElement).type === 'checkbox';
    if (tag === 'button' || tag === 'select' || tag === 'input' || tag === 'a') {
      const target = isCheckbox ? (el.closest('label') ?? el) : el;
      const r = visible(target);
      if (r) {
        targetCount++;
        if (r.height < 40 || r.width < 40)
          smallTargets.push(`${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    if (tag === 'text' && el instanceof SVGElement && el.ownerSVGElement) {
      const r = visible(el);
      const box = el.ownerSVGElement.getBoundingClientRect();
      if (
        r &&
        (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
      ) {
        cutOff.push(name(el));
      }
    }
    if (el.classList.contains('card')) {
      const card = el as HTMLElement;
      if (card.scrollWidth > card.clientWidth + 1)
        overflowingCards.push(`${name(el)} ${card.scrollWidth}>${card.clientWidth}`);
    }
  }
  for (const svgEl of elements.filter((el) => el.tagName.toLowerCase() === 'svg')) {
    const labels = Array.from(svgEl.querySelectorAll('text'))
      .map((t) => ({ t, r: t.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i]!.r;
        const b = labels[j]!.r;
        const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (dx > 1 && dy > 1) overlapping.push(`"${labels[i]!.t.textContent}" / "${labels[j]!.t.textContent}"`);
      }
    }
  }
  return { smallText, smallTargets, cutOff, overflowingCards, overlapping, textCount, targetCount };
}

/** The visible text of each card (shadow DOM included), in page order. */
export function cardTexts(): string[] {
  const cards = Array.from(document.getElementById('cards')!.children);
  return cards.map((card) => {
    const parts: string[] = [];
    const walk = (node: Node): void => {
      if (node.nodeType === 3) parts.push(node.textContent ?? '');
      const el = node as Element;
      if (el.shadowRoot) walk(el.shadowRoot);
      node.childNodes.forEach(walk);
    };
    walk(card);
    return parts.join(' ').replace(/\s+/g, ' ').trim();
  });
}
