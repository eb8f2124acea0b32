import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import path from 'node:path';
import { DecodeError } from '@sps/core';
import {
  EnergyHistory,
  LiveStatus,
  SiteInfo,
  errorReason,
  lifetimeTotals,
  liveReadings,
  neverLower,
  parseProducts,
  retryAfterMs,
  siteReadings,
  unwrap,
} from '@sps/device-tesla';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as unknown;

describe('Teslemetry codec', () => {
  it('live_status → readings in our signs (Tesla already uses them)', () => {
    const live = unwrap(fixture('live-status.json'), LiveStatus, 'live_status');
    expect(liveReadings(live)).toEqual({
      battery_soc: 95.25,
      battery_power: 5060,
      pv_power: 1190,
      load_power: 6250,
      grid_power: 0,
      grid_status: 'active',
      island_status: 'on_grid',
      storm_mode_active: false,
    });
    expect(liveReadings({ solar_power: -4, grid_power: -1200, battery_power: -3000 })).toMatchObject({
      pv_power: 0,
      grid_power: -1200,
      battery_power: -3000,
      battery_soc: null,
    });
  });

  it('site_info → reserve, mode, export rule, grid charging, nameplate', () => {
    const site = unwrap(fixture('site-info.json'), SiteInfo, 'site_info');
    expect(siteReadings(site)).toEqual({
      backup_reserve: 0,
      operation_mode: 'self_consumption',
      export_rule: 'pv_only',
      grid_charging: 'grid_charging_blocked',
      battery_capacity: 40500,
      nameplate_power: 15000,
    });
  });

  it('calendar_history lifetime → totals summed over periods, missing fields as zero', () => {
    const history = unwrap(fixture('energy-history.json'), EnergyHistory, 'calendar_history');
    expect(lifetimeTotals(history)).toEqual({
      pv_energy: 5_000_724,
      grid_import_energy: 3_000_000,
      grid_export_energy: 1_520_002,
      battery_charge_energy: 1_250_684,
      battery_discharge_energy: 1_200_000,
      load_energy: 6_430_038,
    });
    const lower = { ...lifetimeTotals(history), pv_energy: 1 };
    expect(neverLower(lifetimeTotals(history), lower).pv_energy).toBe(5_000_724);
  });

  it('names the field of a response that does not fit', () => {
    expect(() => unwrap({ response: { percentage_charged: 'full' } }, LiveStatus, 'live_status')).toThrow(
      'live_status: response.percentage_charged: Invalid input',
    );
    expect(() => unwrap({ data: {} }, LiveStatus, 'live_status')).toThrow('live_status: expected {"response": …}');
  });

  it('keeps 19-digit energy site ids exact and skips vehicles', () => {
    const text =
      '{"response":[{"id":1,"vin":"X"},{"energy_site_id":1234567890123456789,"site_name":"A"},{"energy_site_id":42}],"count":3}';
    expect(parseProducts(text)).toEqual({ siteIds: ['1234567890123456789', '42'], names: ['A', null] });
    expect(() => parseProducts('<html>')).toThrow('/api/1/products: not JSON');
  });

  it('reads error bodies and Retry-After', () => {
    expect(errorReason({ response: null, error: 'invalid_command', error_description: '' })).toBe('invalid_command');
    expect(errorReason({ response: null, error: 'x', error_description: 'why' })).toBe('x (why)');
    expect(errorReason({ response: { code: 201 } })).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });

  it('never throws anything but DecodeError on random or malformed answers', () => {
    const decoders = [
      (v: unknown) => unwrap(v, LiveStatus, 'live_status'),
      (v: unknown) => unwrap(v, SiteInfo, 'site_info'),
      (v: unknown) => lifetimeTotals(unwrap(v, EnergyHistory, 'calendar_history')),
      (v: unknown) => errorReason(v),
      (v: unknown) => parseProducts(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
    ];
    const answer = fc.oneof(
      fc.jsonValue(),
      fc.record({ response: fc.jsonValue() }),
      fc.record({
        response: fc.dictionary(
          fc.constantFrom('percentage_charged', 'battery_power', 'time_series', 'components'),
          fc.jsonValue(),
        ),
      }),
      fc.string(),
    );
    fc.assert(
      fc.property(answer, fc.integer({ min: 0, max: decoders.length - 1 }), (value, which) => {
        try {
          (decoders[which] as (v: unknown) => unknown)(value);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
