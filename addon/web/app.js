/* global document, fetch, EventSource, window, CustomEvent */
// The web panel: lists devices, their availability and live readings, and sends commands.
// Every URL is relative so the page works both at / and behind Home Assistant ingress.
'use strict';

const TILE_KEYS = ['pv_power', 'load_power', 'grid_power', 'battery_power'];
const COMMAND_ARGS = {
  force_charge: ['power_w'],
  force_discharge: ['power_w'],
  restore_normal: [],
  set_backup_reserve: ['percent'],
  set_charge_limit: ['power_w'],
  set_discharge_limit: ['power_w'],
  set_export_limit: ['power_w'],
  set_relay: ['on'],
  set_operating_mode: ['mode'],
};
const COMMAND_LABELS = {
  force_charge: 'Force charge',
  force_discharge: 'Force discharge',
  restore_normal: 'Back to normal',
  set_backup_reserve: 'Set backup reserve',
  set_charge_limit: 'Set charge limit',
  set_discharge_limit: 'Set discharge limit',
  set_export_limit: 'Set export limit',
  set_relay: 'Switch relay',
  set_operating_mode: 'Set operating mode',
};

/** id → { device, view, readings } */
const state = new Map();

function formatNumber(value, digits) {
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** W below 1 kW, kW above; Wh likewise; everything else with its own unit. */
function formatReading(value, unit) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value !== 'number') return String(value);
  if (unit === 'W') return Math.abs(value) >= 1000 ? `${formatNumber(value / 1000, 2)} kW` : `${Math.round(value)} W`;
  if (unit === 'Wh') {
    return Math.abs(value) >= 1000
      ? `${formatNumber(value / 1000, value >= 100000 ? 0 : 1)} kWh`
      : `${Math.round(value)} Wh`;
  }
  if (unit === '%') return `${formatNumber(value, 1)} %`;
  const digits = Number.isInteger(value) ? 0 : 1;
  return unit ? `${formatNumber(value, digits)} ${unit}` : formatNumber(value, digits);
}

/** What a signed power means, in words (grid > 0 import, battery > 0 discharge). */
function signHint(key, value) {
  if (typeof value !== 'number' || Math.abs(value) < 1)
    return key === 'battery_power' || key === 'grid_power' ? 'idle' : '';
  if (key === 'grid_power') return value > 0 ? 'importing' : 'exporting';
  if (key === 'battery_power') return value > 0 ? 'discharging' : 'charging';
  return '';
}

function entityName(device, key) {
  const entity = (device.entities || []).find((e) => e.key === key);
  return entity ? entity.name : key.replace(/_/g, ' ');
}

function setAvailability(entry, availability) {
  const pill = entry.view.querySelector('.availability');
  const reason = entry.view.querySelector('.reason');
  pill.classList.remove('pill-ok', 'pill-bad', 'pill-wait');
  if (availability.available) {
    pill.textContent = 'online';
    pill.classList.add('pill-ok');
    reason.textContent = '';
  } else {
    const connecting = availability.reason === 'connecting';
    pill.textContent = connecting ? 'connecting' : 'unavailable';
    pill.classList.add(connecting ? 'pill-wait' : 'pill-bad');
    reason.textContent = connecting ? '' : availability.reason || 'unavailable';
  }
}

function renderReadings(entry, message) {
  const { device, view } = entry;
  entry.readings = Object.assign(entry.readings || {}, message.readings);
  const readings = entry.readings;

  const soc = readings.battery_soc;
  const socBox = view.querySelector('.soc');
  if (soc && typeof soc.value === 'number') {
    socBox.hidden = false;
    const pct = Math.max(0, Math.min(100, soc.value));
    view.querySelector('.soc-value').textContent = formatReading(soc.value, '%');
    view.querySelector('.soc-fill').style.width = `${pct}%`;
    view.querySelector('.soc-bar').setAttribute('aria-valuenow', String(pct));
  }

  const tiles = view.querySelector('.tiles');
  for (const key of TILE_KEYS) {
    const reading = readings[key];
    if (!reading) continue;
    let tile = tiles.querySelector(`[data-key="${key}"]`);
    if (!tile) {
      tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset.key = key;
      for (const part of ['tile-name', 'tile-value', 'tile-hint']) {
        const el = document.createElement('div');
        el.className = part;
        tile.appendChild(el);
      }
      tile.querySelector('.tile-name').textContent = entityName(device, key);
      tiles.appendChild(tile);
    }
    tile.querySelector('.tile-value').textContent = formatReading(reading.value, reading.unit);
    tile.querySelector('.tile-hint').textContent = signHint(key, reading.value);
  }

  const body = view.querySelector('tbody');
  for (const [key, reading] of Object.entries(readings)) {
    let row = body.querySelector(`tr[data-key="${key}"]`);
    if (!row) {
      row = document.createElement('tr');
      row.dataset.key = key;
      row.appendChild(document.createElement('td')).textContent = entityName(device, key);
      row.appendChild(document.createElement('td'));
      body.appendChild(row);
    }
    row.lastChild.textContent = formatReading(reading.value, reading.unit);
  }
  if (message.timestamp) {
    view.querySelector('.updated').textContent = `· ${new Date(message.timestamp).toLocaleTimeString()}`;
  }
}

function setReserveMarker(entry) {
  const limits = entry.device.capabilities && entry.device.capabilities.limits;
  const marker = entry.view.querySelector('.soc-reserve');
  if (limits && typeof limits.backupReservePct === 'number') marker.style.left = `${limits.backupReservePct}%`;
  else marker.hidden = true;
}

function setupControl(entry) {
  const { device, view } = entry;
  const form = view.querySelector('form.control');
  const capabilities = device.capabilities;
  if (!capabilities || capabilities.commands.length === 0) {
    form.hidden = true;
    return;
  }
  form.hidden = false;
  const typeSelect = form.elements.type;
  typeSelect.replaceChildren();
  for (const type of capabilities.commands) {
    const option = document.createElement('option');
    option.value = type;
    option.textContent = COMMAND_LABELS[type] || type;
    typeSelect.appendChild(option);
  }
  const modeSelect = form.elements.mode;
  modeSelect.replaceChildren();
  for (const mode of capabilities.operating_modes || []) {
    const option = document.createElement('option');
    option.value = mode;
    option.textContent = mode.replace(/_/g, ' ');
    modeSelect.appendChild(option);
  }
  const showArgs = () => {
    const args = COMMAND_ARGS[typeSelect.value] || [];
    for (const label of form.querySelectorAll('.arg')) {
      label.hidden = !args.some((a) => label.classList.contains(`arg-${a}`));
    }
  };
  typeSelect.onchange = showArgs;
  showArgs();

  form.onsubmit = async (event) => {
    event.preventDefault();
    const type = typeSelect.value;
    const command = { type };
    for (const arg of COMMAND_ARGS[type] || []) {
      const raw = form.elements[arg].value;
      command[arg] = arg === 'on' ? raw === 'true' : arg === 'mode' ? raw : Number(raw);
    }
    const result = form.querySelector('.control-result');
    const button = form.querySelector('button');
    button.disabled = true;
    result.className = 'control-result';
    result.textContent = 'sending…';
    try {
      const response = await fetch(`api/devices/${encodeURIComponent(device.id)}/commands`, {
        method: 'POST',
        // The write token, when the add-on needs one (status.js keeps it).
        headers: { 'content-type': 'application/json', ...window.spsWriteHeaders() },
        body: JSON.stringify(command),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        result.classList.add('ok');
        result.textContent = answer.skipped
          ? 'Already sent moments ago; not written again.'
          : `Done (${answer.writes} write${answer.writes === 1 ? '' : 's'}).`;
      } else {
        result.classList.add('bad');
        result.textContent = answer.error || `failed (HTTP ${response.status})`;
        if (response.status === 401) window.spsAskForToken('That write token was refused.');
      }
    } catch (err) {
      result.classList.add('bad');
      result.textContent = `could not reach the add-on: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  };
}

function renderDevice(device) {
  let entry = state.get(device.id);
  if (!entry) {
    const view = document.getElementById('device-template').content.firstElementChild.cloneNode(true);
    view.dataset.device = device.id;
    document.getElementById('devices').appendChild(view);
    entry = { device, view, readings: {} };
    state.set(device.id, entry);
  }
  entry.device = device;
  const { view } = entry;
  view.querySelector('.device-name').textContent = device.name;
  const info = device.info;
  view.querySelector('.device-model').textContent = info
    ? `${info.manufacturer} ${info.model} · ${info.serial}${device.position ? ` · ${device.position}` : ''}`
    : device.driver;
  setAvailability(entry, device.availability);
  setReserveMarker(entry);
  setupControl(entry);
  return entry;
}

async function loadDevices() {
  const response = await fetch('api/devices');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { devices } = await response.json();
  document.getElementById('empty').hidden = devices.length > 0;
  for (const device of devices) renderDevice(device);
  return devices;
}

function setLinkState(text, kind) {
  const el = document.getElementById('link-state');
  el.textContent = text;
  el.className = `pill pill-${kind}`;
}

function connectStream() {
  const stream = new EventSource('api/stream');
  stream.onopen = () => setLinkState('live', 'ok');
  stream.onerror = () => setLinkState('reconnecting…', 'wait');
  stream.addEventListener('readings', (event) => {
    const message = JSON.parse(event.data);
    const entry = state.get(message.device);
    if (entry) renderReadings(entry, message);
  });
  stream.addEventListener('availability', (event) => {
    const message = JSON.parse(event.data);
    const entry = state.get(message.device);
    if (!entry) return;
    const wasAvailable = entry.device.availability.available;
    entry.device.availability = message;
    setAvailability(entry, message);
    // Info, entities and capabilities are known once a device connects.
    if (message.available && (!wasAvailable || !entry.device.info)) loadDevices().catch(() => undefined);
  });
  // Demand response (dr.js draws it): the same stream carries its status on every change.
  stream.addEventListener('dr', (event) => {
    window.dispatchEvent(new CustomEvent('sps:dr', { detail: JSON.parse(event.data) }));
  });
}

async function start() {
  try {
    await loadDevices();
  } catch (err) {
    const box = document.getElementById('load-error');
    box.hidden = false;
    box.textContent = `Cannot load devices: ${err.message}`;
  }
  connectStream();
}

window.addEventListener('DOMContentLoaded', start);
