/* global document, fetch, window */
// Prices and forecasts on the panel: current prices, the provider's status or failure reason, and a
// 48-hour outlook of import/export price, solar and load drawn as inline SVG (no library, no CDN).
// Relative URLs only, so it works at / and behind Home Assistant ingress.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 60000;

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

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

function money(value, currency) {
  if (typeof value !== 'number') return '–';
  return `${value.toFixed(4)} ${currency}/kWh`;
}

function timeLabel(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Step lines for each series over a shared time axis; prices on the left scale, kW on the right. */
function drawChart(svg, prices, forecasts) {
  svg.replaceChildren();
  const width = 600;
  const height = 180;
  const pad = { l: 8, r: 8, t: 10, b: 22 };
  const series = [];
  if (prices.configured && prices.intervals.length) {
    const pts = prices.intervals.map((i) => ({ s: Date.parse(i.start), e: Date.parse(i.end), v: i.import }));
    series.push({ cls: 'line-import', axis: 'price', pts });
    series.push({
      cls: 'line-export',
      axis: 'price',
      pts: prices.intervals.map((i) => ({ s: Date.parse(i.start), e: Date.parse(i.end), v: i.export })),
    });
  }
  for (const [key, cls] of [
    ['solar', 'line-solar'],
    ['load', 'line-load'],
  ]) {
    const f = forecasts[key];
    if (f && f.configured && f.points.length) {
      series.push({
        cls,
        axis: 'kw',
        pts: f.points.map((p) => ({ s: Date.parse(p.start), e: Date.parse(p.end), v: p.kw })),
      });
    }
  }
  for (const key of ['import', 'export', 'solar', 'load']) {
    const legend = svg.parentElement && svg.parentElement.querySelector(`.key-${key}`);
    if (legend) legend.hidden = !series.some((s) => s.cls === `line-${key}`);
  }
  if (series.length === 0) return false;
  const t0 = Math.min(...series.map((s) => s.pts[0].s));
  const t1 = Math.min(t0 + 48 * 3600000, Math.max(...series.map((s) => s.pts[s.pts.length - 1].e)));
  const range = (axis) => {
    const vals = series.filter((s) => s.axis === axis).flatMap((s) => s.pts.map((p) => p.v));
    if (!vals.length) return [0, 1];
    const lo = Math.min(0, ...vals);
    const hi = Math.max(...vals);
    return [lo, hi > lo ? hi : lo + 1];
  };
  const ranges = { price: range('price'), kw: range('kw') };
  const x = (t) => pad.l + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0 || 1)) * (width - pad.l - pad.r);
  const y = (axis, v) => {
    const [lo, hi] = ranges[axis];
    return pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  };
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.append(svgEl('line', { x1: pad.l, x2: width - pad.r, y1: y('price', 0), y2: y('price', 0), class: 'axis' }));
  for (let t = Math.ceil(t0 / 21600000) * 21600000; t < t1; t += 21600000) {
    svg.append(svgEl('line', { x1: x(t), x2: x(t), y1: pad.t, y2: height - pad.b, class: 'grid' }));
    const label = svgEl('text', { x: x(t) + 2, y: height - 6, class: 'tick' });
    label.textContent = timeLabel(new Date(t).toISOString());
    svg.append(label);
  }
  for (const s of series) {
    let d = '';
    let lastEnd;
    for (const p of s.pts) {
      if (p.s >= t1) break;
      // A gap (no price or forecast known) stays a gap, never a line that looks like a value.
      d += `${d && p.s === lastEnd ? 'L' : 'M'}${x(p.s).toFixed(1)},${y(s.axis, p.v).toFixed(1)}H${x(p.e).toFixed(1)}`;
      lastEnd = p.e;
    }
    svg.append(svgEl('path', { d, class: `line ${s.cls}` }));
  }
  return true;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function refreshOutlook() {
  const section = document.getElementById('outlook');
  if (!section) return;
  let prices;
  let forecasts;
  try {
    [prices, forecasts] = await Promise.all([getJson('api/prices'), getJson('api/forecasts')]);
  } catch {
    return; // the device view already shows when the add-on cannot be reached
  }
  const anything = prices.configured || forecasts.solar.configured || forecasts.load.configured;
  section.hidden = !anything;
  if (!anything) return;
  const tiles = section.querySelector('.outlook-tiles');
  tiles.replaceChildren();
  if (prices.configured) {
    const c = prices.current;
    const hint = c
      ? `${c.kind}${c.spike === 'spike' ? ', SPIKE' : c.spike === 'potential' ? ', possible spike' : ''}`
      : '';
    tiles.append(
      tile('Import price', money(c && c.import, prices.currency), hint),
      tile('Export price', money(c && c.export, prices.currency), prices.provider),
    );
  }
  for (const [key, name] of [
    ['solar', 'Solar next 24 h'],
    ['load', 'Load next 24 h'],
  ]) {
    const f = forecasts[key];
    if (!f.configured) continue;
    const value = typeof f.energy_next_24h_kwh === 'number' ? `${f.energy_next_24h_kwh.toFixed(1)} kWh` : '–';
    tiles.append(
      tile(name, value, typeof f.current_kw === 'number' ? `now ${f.current_kw.toFixed(2)} kW` : f.source || ''),
    );
  }
  const reasons = [];
  if (prices.configured && prices.reason) reasons.push(`Prices: ${prices.reason}`);
  for (const key of ['solar', 'load']) {
    const f = forecasts[key];
    if (f.configured && f.reason) reasons.push(`${key === 'solar' ? 'Solar' : 'Load'} forecast: ${f.reason}`);
  }
  const reason = section.querySelector('.outlook-reason');
  reason.textContent = reasons.join(' · ');
  section.querySelector('.outlook-chart').hidden = !drawChart(
    section.querySelector('.outlook-chart svg'),
    prices,
    forecasts,
  );
}

function startOutlook() {
  refreshOutlook().catch(() => undefined);
  window.setInterval(() => refreshOutlook().catch(() => undefined), REFRESH_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startOutlook);
else startOutlook();
