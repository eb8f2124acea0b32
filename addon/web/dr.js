/* global document, fetch, window, setInterval */
// Demand response on the panel: the mode, the event with a countdown, the goal, baseline vs actual
// by hour (inline SVG), the avoided energy, the sharing level, the outbox and the broker. The status
// comes from GET api/dr at load and then with every change on the page's live stream (panel.js
// re-dispatches the stream's `dr` events as `sps:dr`); the countdown ticks locally each second.
'use strict';
(function () {
  const section = document.getElementById('dr');
  if (!section) return;
  const SVG = 'http://www.w3.org/2000/svg';
  const modeEl = section.querySelector('.dr-mode');
  const eventEl = section.querySelector('.dr-event');
  const countdownEl = section.querySelector('.dr-countdown');
  const tilesEl = section.querySelector('.dr-tiles');
  const hoursFigure = section.querySelector('.dr-hours');
  const linkEl = section.querySelector('.dr-link');
  let status = null;

  const MODE_TEXT = {
    normal: 'normal',
    upcoming: 'event upcoming',
    ongoing: 'event ongoing',
    post_event: 'easing back',
  };

  function tile(name, value, hint) {
    const box = document.createElement('div');
    box.className = 'tile';
    const n = document.createElement('div');
    n.className = 'tile-name';
    n.textContent = name;
    const v = document.createElement('div');
    v.className = 'tile-value';
    v.textContent = value;
    const h = document.createElement('div');
    h.className = 'tile-hint';
    h.textContent = hint || '';
    box.append(n, v, h);
    return box;
  }

  const kw = (x) => (typeof x === 'number' ? `${x.toFixed(2)} kW` : '–');
  const kwh = (x) => (typeof x === 'number' ? `${x.toFixed(2)} kWh` : '–');
  /** The panel's one clock (panel.js): the HA user's zone and format behind ingress, else the browser's. */
  function clock() {
    const settings = window.spsPanelSource ? window.spsPanelSource.timeSettings() : undefined;
    return settings
      ? { locale: settings.locale, options: { timeZone: settings.timeZone, hour12: settings.hour12 } }
      : { locale: undefined, options: {} };
  }
  const when = (iso) => {
    const c = clock();
    return new Date(iso).toLocaleString(c.locale, {
      ...c.options,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
  };

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
  }

  function countdownText(s) {
    const now = Date.now();
    const e = s.event;
    if (s.mode === 'upcoming' && e) return `Starts in ${duration(Date.parse(e.start) - now)}: charging for it.`;
    if (s.mode === 'ongoing' && e) return `Ends in ${duration(Date.parse(e.end) - now)}: holding the goal.`;
    if (s.mode === 'post_event' && s.post_event_until)
      return `Back to normal in ${duration(Date.parse(s.post_event_until) - now)} (ramping up gently).`;
    if (e && e.opted_out) return `Opted out of the event at ${when(e.start)}.`;
    if (s.next) return `Next event ${when(s.next.start)} (in ${duration(Date.parse(s.next.start) - now)}).`;
    return 'No event scheduled.';
  }

  function drawHours(hours, goalKw) {
    const svg = hoursFigure.querySelector('svg');
    svg.replaceChildren();
    if (!hours || hours.length === 0) {
      hoursFigure.hidden = true;
      return;
    }
    hoursFigure.hidden = false;
    const width = 600;
    const height = 150;
    const pad = { l: 8, r: 8, t: 16, b: 20 };
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const max = Math.max(0.1, ...hours.flatMap((h) => [h.baseline_kw, h.actual_kw || 0]));
    // One slot per event hour, at most 120 px wide, centred: a one-hour event is not one huge bar.
    const slot = Math.min(120, (width - pad.l - pad.r) / hours.length);
    const x0 = (width - slot * hours.length) / 2;
    const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
    const el = (name, attrs, text) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      return node;
    };
    svg.append(el('line', { class: 'axis-line', x1: pad.l, x2: width - pad.r, y1: y(0), y2: y(0) }));
    hours.forEach((h, i) => {
      const x = x0 + i * slot;
      const bw = slot * 0.38;
      const bx = x + slot * 0.1;
      svg.append(
        el('rect', { class: 'bar-baseline', x: bx, y: y(h.baseline_kw), width: bw, height: y(0) - y(h.baseline_kw) }),
      );
      svg.append(
        el(
          'text',
          { class: 'axis', x: bx + bw / 2, y: y(h.baseline_kw) - 3, 'text-anchor': 'middle' },
          h.baseline_kw.toFixed(2),
        ),
      );
      if (typeof goalKw === 'number' && goalKw > 0) {
        // What the event holds the import to: baseline − goal.
        const target = Math.max(0, h.baseline_kw - goalKw);
        svg.append(el('line', { class: 'goal-line', x1: bx, x2: bx + 2 * bw, y1: y(target), y2: y(target) }));
      }
      if (typeof h.actual_kw === 'number') {
        const a = Math.max(0, h.actual_kw);
        svg.append(
          el('rect', { class: 'bar-actual', x: bx + bw, y: y(a), width: bw, height: Math.max(1, y(0) - y(a)) }),
        );
        svg.append(el('text', { class: 'axis', x: bx + bw * 1.5, y: y(a) - 3, 'text-anchor': 'middle' }, a.toFixed(2)));
      }
      const c = clock();
      const label = new Date(h.start).toLocaleTimeString(c.locale, {
        ...c.options,
        hour: '2-digit',
        minute: '2-digit',
      });
      svg.append(el('text', { class: 'axis', x: x + slot / 2, y: height - 6, 'text-anchor': 'middle' }, label));
    });
  }

  function render(s) {
    status = s;
    section.hidden = false;
    modeEl.textContent = s.enabled ? MODE_TEXT[s.mode] || s.mode : 'off';
    modeEl.className = `pill dr-mode mode-${s.mode}`;
    if (!s.enabled) {
      eventEl.textContent = 'Demand response is off: fill in the aggregator section of the options to take part.';
      countdownEl.textContent = '';
      tilesEl.replaceChildren();
      drawHours([], null);
      linkEl.textContent = '';
      return;
    }
    const e = s.event || s.next;
    eventEl.textContent = e
      ? `${e.program} ${e.type} · ${when(e.start)} – ${when(e.end)}${e.opted_out ? ' · opted out' : ''}${
          s.next && s.next.simulated && e === s.next ? ' · simulated' : ''
        }`
      : 'No event';
    countdownEl.textContent = countdownText(s);
    // The controller's DR status: the target before the event, the feedback loop during it.
    const ctl = s.pi && typeof s.pi === 'object' ? s.pi : null;
    const loop = ctl && ctl.pi && typeof ctl.pi === 'object' ? ctl.pi : null;
    const ctlValue = loop
      ? `${Math.round(loop.errorW)} W error`
      : ctl && typeof ctl.targetSocPct === 'number'
        ? `charge to ${ctl.targetSocPct} %`
        : '–';
    tilesEl.replaceChildren(
      tile('Goal', e ? kw(e.goal_kw) : '–', 'below the baseline'),
      tile('Baseline now', kw(s.baseline_kw), s.baseline_method || ''),
      tile('Grid import now', kw(s.actual_kw), s.grid_meter ? `meter: ${s.grid_meter}` : 'no grid meter yet'),
      tile(
        'Avoided this event',
        kwh(s.avoided_kwh),
        s.goal_met_pct === null ? '' : `${Math.round(s.goal_met_pct)} % of the goal`,
      ),
      tile('Avoided in total', kwh(s.total_avoided_kwh), ''),
      tile(
        'Sharing',
        s.sharing,
        `outbox ${s.outbox.pending} pending${s.outbox.dropped ? `, ${s.outbox.dropped} dropped` : ''}`,
      ),
      tile(
        'Aggregator',
        s.connection.configured ? (s.broker.connected ? 'connected' : 'disconnected') : 'no broker',
        s.connection.last_error || s.connection.network || '',
      ),
      ...(ctl ? [tile('Controller', ctlValue, ctl.reason || '')] : []),
    );
    drawHours(s.hours, (s.event || s.next || {}).goal_kw);
    linkEl.textContent = s.signals && s.signals.rejected ? `${s.signals.rejected} malformed messages rejected` : '';
  }

  async function load() {
    try {
      render(await (await fetch('api/dr', { cache: 'no-store' })).json());
    } catch (err) {
      section.hidden = false;
      countdownEl.textContent = `Demand response unavailable: ${err}`;
    }
  }

  window.addEventListener('sps:dr', (event) => render(event.detail));
  load();
  // The countdown moves every second; the figures come with each change (and a minute refresh as a floor).
  setInterval(() => {
    if (status && status.enabled) countdownEl.textContent = countdownText(status);
  }, 1000);
  setInterval(load, 60_000);
})();
