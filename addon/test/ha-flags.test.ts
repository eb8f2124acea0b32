import { CliError } from '../src/cli/command';
import { haTargetFromFlags } from '../src/cli/ha-flags';

describe('which Home Assistant `sps run`/`sps demo` connect to', () => {
  const token = 'a-long-lived-token';

  it('takes --ha-url/--ha-token, else HA_URL/HA_TOKEN, and turns an http URL into the websocket endpoint', () => {
    expect(haTargetFromFlags({ 'ha-url': 'ws://127.0.0.1:8123/api/websocket', 'ha-token': token }, {})).toEqual({
      url: 'ws://127.0.0.1:8123/api/websocket',
      token,
      viaSupervisor: false,
    });
    expect(haTargetFromFlags({}, { HA_URL: 'http://ha.local:8123', HA_TOKEN: token })).toEqual({
      url: 'ws://ha.local:8123/api/websocket',
      token,
      viaSupervisor: false,
    });
  });

  it('uses the Supervisor proxy when SUPERVISOR_TOKEN is set and nothing else is given', () => {
    expect(haTargetFromFlags({}, { SUPERVISOR_TOKEN: 'sup' })).toEqual({
      url: 'ws://supervisor/core/websocket',
      token: 'sup',
      viaSupervisor: true,
    });
  });

  it('runs without HA when nothing is given', () => {
    expect(haTargetFromFlags({}, { HA_URL: ' ' })).toBeUndefined();
  });

  it('refuses half a configuration or a bad URL with a one-line error naming the flag', () => {
    expect(() => haTargetFromFlags({ 'ha-url': 'ws://h:8123' }, {})).toThrow(
      new CliError('--ha-token: required with --ha-url (or set HA_TOKEN)'),
    );
    expect(() => haTargetFromFlags({}, { HA_TOKEN: token })).toThrow(/^--ha-url: required/);
    expect(() => haTargetFromFlags({ 'ha-url': 'ftp://h', 'ha-token': token }, {})).toThrow(
      /--ha-url must be an http\(s\) or ws\(s\) URL/,
    );
    try {
      haTargetFromFlags({ 'ha-url': 'ws://h' }, {});
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});
