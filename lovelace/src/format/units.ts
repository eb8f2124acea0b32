/**
 * Readings as a user reads them: a value with its unit, power in W or kW, money in the plan's
 * currency, and a friendly name. A reading with neither a unit nor a name from its driver is a bug in
 * that driver's entity catalogue; these helpers only fall back so the card stays readable meanwhile.
 */

const trim = (text: string): string => text.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');

/** `350 W`, `1.25 kW`, `-2.4 kW`: kW from 1 kW up, so the digits stay few. */
export function formatPower(watts: number | null | undefined): string {
  if (watts === null || watts === undefined || !Number.isFinite(watts)) return '—';
  if (Math.abs(watts) >= 1000) return `${trim((watts / 1000).toFixed(2))} kW`;
  return `${Math.round(watts)} W`;
}

/** kW values from the plan (`battery_charge_kw`, …). */
export function formatKw(kw: number | null | undefined): string {
  if (kw === null || kw === undefined || !Number.isFinite(kw)) return '—';
  return formatPower(kw * 1000);
}

/** `1.2 kWh` from Wh. */
export function formatEnergy(wh: number | null | undefined): string {
  if (wh === null || wh === undefined || !Number.isFinite(wh)) return '—';
  if (Math.abs(wh) >= 1000) return `${trim((wh / 1000).toFixed(2))} kWh`;
  return `${Math.round(wh)} Wh`;
}

export function formatPercent(pct: number | null | undefined): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return '—';
  return `${Math.round(pct)} %`;
}

/** ISO 4217 codes get the locale's currency format; anything else (`c`, `$`) is written after the number. */
export function formatMoney(value: number | null | undefined, currency: string, locale = 'en'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (/^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }).format(value);
    } catch {
      // Fall through to the plain form.
    }
  }
  return `${value.toFixed(2)} ${currency}`.trim();
}

/** A price per kWh: `0.325 AUD/kWh` (three decimals: tariffs are quoted in tenths of a cent). */
export function formatPrice(value: number | null | undefined, currency: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${trim(value.toFixed(3))} ${currency}/kWh`.trim();
}

/**
 * A reading value with its unit: power in W/kW, energy in Wh/kWh, percentages with `%`, booleans as
 * on/off, numbers to at most `precision` decimals (the entity's suggested display precision).
 */
export function formatReading(
  value: number | string | boolean | null | undefined,
  unit: string | null | undefined,
  precision?: number,
): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'string') return unit ? `${value} ${unit}` : value;
  if (!Number.isFinite(value)) return '—';
  if (unit === 'W') return formatPower(value);
  if (unit === 'kW') return formatKw(value);
  if (unit === 'Wh') return formatEnergy(value);
  if (unit === 'kWh') return formatEnergy(value * 1000);
  const digits =
    precision ?? (Number.isInteger(value) ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  const text = trim(value.toFixed(Math.max(0, Math.min(6, digits))));
  if (!unit) return text;
  return unit === '%' ? `${text} %` : `${text} ${unit}`;
}

/** `battery_soc` → `Battery SOC`: the fallback when the driver gave no name. Known abbreviations stay upper case. */
export function friendlyName(key: string, declaredName?: string | null): string {
  if (declaredName && declaredName.trim() !== '') return declaredName;
  const UPPER = new Set(['soc', 'pv', 'ac', 'dc', 'ev', 'id', 'ip', 'soh', 'bms']);
  const words = key
    .split(/[_\s]+/)
    .filter((w) => w !== '')
    .map((w) => (UPPER.has(w.toLowerCase()) ? w.toUpperCase() : w.toLowerCase()));
  if (words.length === 0) return key;
  const [first, ...rest] = words;
  return [first!.charAt(0).toUpperCase() + first!.slice(1), ...rest].join(' ');
}

/** The plan's actions in words. */
export function actionLabel(action: string): string {
  switch (action) {
    case 'CHARGE':
      return 'Charge';
    case 'EXPORT':
      return 'Export';
    case 'IDLE':
      return 'Hold';
    case 'SELF_CONSUMPTION':
      return 'Self-consumption';
    case 'OFF':
      return 'Off';
    default:
      return friendlyName(action.toLowerCase());
  }
}
