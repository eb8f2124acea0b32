import { resolveHaTarget, SUPERVISOR_WS_URL, websocketUrl } from '../src/index.js';

describe('resolveHaTarget', () => {
  it('uses the Supervisor proxy when SUPERVISOR_TOKEN is set', () => {
    expect(resolveHaTarget({ SUPERVISOR_TOKEN: 'abc' })).toEqual({
      url: SUPERVISOR_WS_URL,
      token: 'abc',
      viaSupervisor: true,
    });
  });

  it('uses a configured URL and long-lived token outside the Supervisor', () => {
    expect(resolveHaTarget({}, { url: 'http://127.0.0.1:8123/', token: 'long-lived-token' })).toEqual({
      url: 'ws://127.0.0.1:8123/api/websocket',
      token: 'long-lived-token',
      viaSupervisor: false,
    });
    expect(websocketUrl('https://ha.example:8123')).toBe('wss://ha.example:8123/api/websocket');
    expect(websocketUrl('ws://h/api/websocket')).toBe('ws://h/api/websocket');
  });

  it('names the missing or bad field', () => {
    expect(() => resolveHaTarget({}, {})).toThrow(/ha\.url is required/);
    expect(() => resolveHaTarget({}, { url: 'ftp://x', token: 'long-lived-token' })).toThrow(/ha\.url must be/);
    expect(() => resolveHaTarget({}, { url: 'http://x' })).toThrow(/ha\.token is required/);
  });
});
