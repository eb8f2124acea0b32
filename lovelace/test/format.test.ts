import {
  formatAxisHour,
  formatDayTime,
  formatDuration,
  formatTime,
  hassTimeSettings,
  hourTicks,
  isZonedMidnight,
  type TimeSettings,
} from '../src/format/time.js';
import {
  actionLabel,
  formatEnergy,
  formatMoney,
  formatPercent,
  formatPower,
  formatPrice,
  formatReading,
  friendlyName,
} from '../src/format/units.js';

const BROWSER: TimeSettings = { timeZone: 'Europe/London', hour12: false, locale: 'en-GB' };
const SYDNEY_24: TimeSettings = { timeZone: 'Australia/Sydney', hour12: false, locale: 'en-AU' };
const SYDNEY_12: TimeSettings = { timeZone: 'Australia/Sydney', hour12: true, locale: 'en-AU' };

describe('times in the user zone and format', () => {
  // 06:00 UTC on 4 Dec 2026 is 17:00 in Sydney (AEDT, UTC+11): the evening peak.
  const peak = '2026-12-04T06:00:00Z';

  it('formats an instant in the given zone, 24 h and 12 h', () => {
    expect(formatTime(peak, SYDNEY_24)).toBe('17:00');
    expect(formatTime(peak, SYDNEY_12).toLowerCase().replace(/\s/g, ' ')).toBe('5:00 pm');
    expect(formatTime(peak, { ...SYDNEY_24, timeZone: 'UTC' })).toBe('06:00');
    expect(formatDayTime(peak, SYDNEY_24)).toBe('Fri 17:00');
  });

  it('labels axis hours briefly', () => {
    expect(formatAxisHour(peak, SYDNEY_24)).toBe('17:00');
    expect(formatAxisHour(peak, SYDNEY_12).toLowerCase().replace(/\s/g, ' ')).toBe('5 pm');
  });

  it('puts ticks on whole hours of the user zone, across a DST change', () => {
    // Sydney leaves DST on 5 Apr 2026 at 03:00 local (16:00 UTC on the 4th): 02:00–03:00 happens twice.
    const from = Date.parse('2026-04-04T12:00:00Z');
    const ticks = hourTicks(from, from + 24 * 3_600_000, 6, 'Australia/Sydney');
    const labels = ticks.map((t) => formatTime(t, SYDNEY_24));
    expect(labels).toEqual(['00:00', '06:00', '12:00', '18:00']);
    expect(isZonedMidnight(ticks[0]!, 'Australia/Sydney')).toBe(true);
    // 00:00 → 06:00 spans 7 real hours that night.
    expect((ticks[1]! - ticks[0]!) / 3_600_000).toBe(7);
  });

  it('handles zones with a 30-minute offset', () => {
    const from = Date.parse('2026-12-04T00:10:00Z');
    const ticks = hourTicks(from, from + 12 * 3_600_000, 3, 'Australia/Adelaide');
    expect(ticks.map((t) => formatTime(t, { ...SYDNEY_24, timeZone: 'Australia/Adelaide' }))).toEqual([
      '12:00',
      '15:00',
      '18:00',
      '21:00',
    ]);
  });

  it('takes HA user settings: server zone, 12/24 h, or the browser', () => {
    const hass = {
      locale: { language: 'en', time_format: '12', time_zone: 'server' },
      config: { time_zone: 'Australia/Sydney' },
    };
    expect(hassTimeSettings(hass, BROWSER)).toMatchObject({ timeZone: 'Australia/Sydney', hour12: true });
    expect(
      hassTimeSettings({ ...hass, locale: { ...hass.locale, time_zone: 'local', time_format: '24' } }, BROWSER),
    ).toMatchObject({
      timeZone: 'Europe/London',
      hour12: false,
    });
    expect(
      hassTimeSettings({ ...hass, locale: { ...hass.locale, time_format: 'system' } }, { ...BROWSER, hour12: true })
        .hour12,
    ).toBe(true);
    // `language`: en-US reads 12-hour, en-GB 24-hour.
    expect(
      hassTimeSettings({ locale: { language: 'en-US', time_format: 'language' }, config: {} }, BROWSER).hour12,
    ).toBe(true);
    expect(
      hassTimeSettings({ locale: { language: 'en-GB', time_format: 'language' }, config: {} }, BROWSER).hour12,
    ).toBe(false);
    // An unknown server zone falls back to the browser's rather than throwing.
    expect(hassTimeSettings({ config: { time_zone: 'Mars/Olympus' } }, BROWSER).timeZone).toBe('Europe/London');
  });

  it('describes durations', () => {
    expect(formatDuration(5 * 60_000)).toBe('5 min');
    expect(formatDuration(125 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration(120 * 60_000)).toBe('2 h');
  });

  it('shows a dash for an unparsable time instead of "Invalid Date"', () => {
    expect(formatTime('not a time', SYDNEY_24)).toBe('—');
  });
});

describe('units and friendly names', () => {
  it('writes power in W below 1 kW and kW above', () => {
    expect(formatPower(350)).toBe('350 W');
    expect(formatPower(1250)).toBe('1.25 kW');
    expect(formatPower(-2400)).toBe('-2.4 kW');
    expect(formatPower(2000)).toBe('2 kW');
    expect(formatPower(null)).toBe('—');
    expect(formatEnergy(12_340)).toBe('12.34 kWh');
  });

  it('writes readings with their unit', () => {
    expect(formatReading(100, '%')).toBe('100 %');
    expect(formatReading(52.345, 'V')).toBe('52.3 V');
    expect(formatReading(52.346, 'V', 2)).toBe('52.35 V');
    expect(formatReading(1500, 'W')).toBe('1.5 kW');
    expect(formatReading(true, null)).toBe('on');
    expect(formatReading('charging', null)).toBe('charging');
    expect(formatReading(null, 'W')).toBe('—');
    expect(formatPercent(63.6)).toBe('64 %');
  });

  it('uses the driver name, and only falls back to a readable key', () => {
    expect(friendlyName('export_power', 'Export power')).toBe('Export power');
    expect(friendlyName('max_soc')).toBe('Max SOC');
    expect(friendlyName('pv_power')).toBe('PV power');
    expect(friendlyName('grid_power', '  ')).toBe('Grid power');
  });

  it('writes money in the plan currency', () => {
    expect(formatMoney(2.9, 'AUD', 'en-AU')).toBe('$2.90');
    expect(formatMoney(-1.5, 'GBP', 'en-GB')).toBe('-£1.50');
    expect(formatMoney(12.345, 'c')).toBe('12.35 c');
    expect(formatPrice(0.2876, 'AUD')).toBe('0.288 AUD/kWh');
    expect(formatPrice(0.25, 'GBP')).toBe('0.25 GBP/kWh');
  });

  it('names the plan actions', () => {
    expect(actionLabel('SELF_CONSUMPTION')).toBe('Self-consumption');
    expect(actionLabel('IDLE')).toBe('Hold');
    expect(actionLabel('SOMETHING_NEW')).toBe('Something new');
  });
});
