/** Currencies whose prices per kWh read best in their minor unit (cents, pence). */
const MINOR_UNIT: Record<string, string> = { AUD: 'c', NZD: 'c', USD: 'c', CAD: 'c', EUR: 'c', GBP: 'p' };

/** "8.1 c/kWh" for AUD 0.081; "0.081 SEK/kWh" where no minor unit is known. */
export function formatPrice(perKwh: number, currency: string): string {
  const minor = MINOR_UNIT[currency.toUpperCase()];
  if (minor) return `${(perKwh * 100).toFixed(1)} ${minor}/kWh`;
  return `${perKwh.toFixed(3)} ${currency}/kWh`;
}

/** One formatter per time zone: building an Intl.DateTimeFormat costs ~30 µs, and a plan formats hundreds of clock times. */
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** "18:30" in the given IANA time zone (UTC unless told). */
export function formatClock(ms: number, timeZone: string): string {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone });
    // Time zones come from configuration: a handful per process, but keep the cache bounded anyway.
    if (clockFormats.size >= 16) clockFormats.clear();
    clockFormats.set(timeZone, format);
  }
  return format.format(new Date(ms));
}
