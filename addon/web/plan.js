/* global document, fetch, DOMParser, setInterval */
// The optimiser's 48-hour plan: the SVG drawn by the add-on (GET api/plan.svg) placed inline,
// with the current action and reason from GET api/plan. Refreshed every minute.
'use strict';
(function () {
  const section = document.getElementById('plan');
  if (!section) return;
  const status = section.querySelector('.plan-status');
  const figure = section.querySelector('.plan-figure');
  async function refresh() {
    try {
      const info = await (await fetch('api/plan', { cache: 'no-store' })).json();
      section.hidden = false;
      if (!info.running) {
        status.textContent = 'Optimiser off: ' + (info.off_reason || 'not running');
      } else {
        const c = info.current || {};
        const today = info.today;
        const savings = today ? ' · savings today ' + today.savings.toFixed(2) + ' ' + today.currency : '';
        status.textContent = (c.action || '') + ': ' + (c.reason || '') + savings;
        // Several batteries: one line each (its action, or why it is out of the plan).
        const batteries = Array.isArray(info.batteries) && info.batteries.length > 1 ? info.batteries : [];
        for (const b of batteries) {
          const line = document.createElement('div');
          line.className = 'plan-battery-status';
          const action = (b.current && b.current.action) || 'OFF';
          line.textContent = b.device + ': ' + action + (b.reason ? ' (' + b.reason + ')' : '');
          status.appendChild(line);
        }
      }
      if (info.plan) {
        const svgText = await (await fetch('api/plan.svg', { cache: 'no-store' })).text();
        const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
        const svg = doc.documentElement;
        if (svg && svg.nodeName === 'svg') figure.replaceChildren(document.importNode(svg, true));
        figure.hidden = false;
      } else {
        figure.hidden = true;
      }
    } catch (err) {
      status.textContent = 'Plan unavailable: ' + err;
    }
  }
  refresh();
  setInterval(refresh, 60_000);
})();
