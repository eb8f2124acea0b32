/* global document, window, EventSource, CustomEvent */
// The add-on's page: the same cards as the Home Assistant dashboard (<sps-panel> from the cards'
// bundle), on the add-on's HTTP API relative to this page, so it works at http://localhost:8099/
// and behind HA ingress alike. The pill says whether the add-on answers; a stale add-on greys the
// cards out and disables their commands (the cards do that from the same snapshot).
import { HttpDataSource, hassTimeSettings } from './smart-power-station-cards.js';

/**
 * One clock: behind HA's ingress this page is a same-origin frame of HA's frontend, so its times
 * follow the HA user's profile (zone and 12/24-hour format) like the dashboard cards; on its own
 * (`pnpm start`, `sps run`) the browser's. Undefined makes the data source use the browser's.
 */
function haUserTimeSettings() {
  try {
    const hass = window.parent !== window ? window.parent.document.querySelector('home-assistant')?.hass : undefined;
    return hass ? hassTimeSettings(hass) : undefined;
  } catch {
    return undefined; // a frame of another origin
  }
}

const source = new HttpDataSource({ timeSettings: haUserTimeSettings });
// For the browser test (which clock the page uses) and for a look from the console.
window.spsPanelSource = source;
const panel = document.createElement('sps-panel');
panel.source = source;
document.getElementById('cards').replaceWith(panel);

const pill = document.getElementById('link-state');
source.subscribe((snapshot) => {
  if (snapshot.updatedAt === null || snapshot.updatedAt === undefined) {
    pill.textContent = snapshot.stale ? 'add-on not answering' : 'connecting…';
    pill.className = `pill ${snapshot.stale ? 'pill-bad' : 'pill-wait'}`;
    return;
  }
  pill.textContent = snapshot.stale ? 'add-on not answering' : 'live';
  pill.className = `pill ${snapshot.stale ? 'pill-bad' : 'pill-ok'}`;
  pill.title = snapshot.stale ? (snapshot.staleReason ?? '') : '';
});

// The demand-response section (dr.js) follows the live stream's `dr` events.
const stream = new EventSource('api/stream');
stream.addEventListener('dr', (event) => {
  try {
    window.dispatchEvent(new CustomEvent('sps:dr', { detail: JSON.parse(event.data) }));
  } catch {
    // A malformed event is dropped; the next one (or dr.js's own load) shows the state.
  }
});
