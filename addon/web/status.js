/* global document, fetch, window */
// What the user must know, above everything else: every problem on the add-on's board
// (/api/health), and — outside Home Assistant, bound beyond loopback — the write token.
// Loaded before app.js, which sends its writes with spsWriteHeaders().
'use strict';

const TOKEN_KEY = 'sps.writeToken';
const HEALTH_EVERY_MS = 15000;

function storedToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

/** Headers for a write: the token the user pasted once, if any. */
function spsWriteHeaders() {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Show the token form (after a 401, or when the add-on says writes need one). */
function spsAskForToken(reason) {
  const form = document.getElementById('token-form');
  form.hidden = false;
  document.getElementById('token-reason').textContent = reason || '';
  form.elements.token.focus();
}

function setupTokenForm() {
  const form = document.getElementById('token-form');
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = form.elements.token.value.trim();
    try {
      if (value) window.localStorage.setItem(TOKEN_KEY, value);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage refused (private mode): the token cannot be kept; the next write asks again.
    }
    form.elements.token.value = '';
    form.hidden = true;
  };
}

async function checkAccess() {
  try {
    const response = await fetch('api/access', { cache: 'no-store' });
    if (!response.ok) return; // under Home Assistant ingress there is no token
    const access = await response.json();
    if (access.write_token_required && !storedToken()) {
      spsAskForToken('Writes to this add-on need its write token.');
    }
  } catch {
    // The health banner says when the add-on cannot be reached.
  }
}

function renderProblems(problems) {
  const banner = document.getElementById('problems');
  const list = banner.querySelector('ul');
  list.replaceChildren();
  for (const problem of problems) {
    const item = document.createElement('li');
    item.className = `problem problem-${problem.severity === 'error' ? 'error' : 'warning'}`;
    item.dataset.problem = problem.id;
    item.textContent = problem.message;
    list.appendChild(item);
  }
  banner.hidden = problems.length === 0;
}

async function refreshHealth() {
  try {
    const response = await fetch('api/health', { cache: 'no-store' });
    const health = await response.json();
    renderProblems(Array.isArray(health.problems) ? health.problems : []);
  } catch {
    // The live-stream pill already says "reconnecting…".
  }
}

window.spsWriteHeaders = spsWriteHeaders;
window.spsAskForToken = spsAskForToken;
window.addEventListener('DOMContentLoaded', () => {
  setupTokenForm();
  void checkAccess();
  void refreshHealth();
  window.setInterval(refreshHealth, HEALTH_EVERY_MS);
});
