/**
 * Device type code (input register 5000) → model. Codes from the vendor protocol as collected in
 * shared/reference/device-protocols.md §4.2 (SH8.0RT-20 = 0x0E12 is from a real register dump).
 * Nominal power comes from the model name; register 5001 (×0.1 kW) is preferred when present.
 */
export interface SungrowModel {
  readonly code: number;
  readonly name: string;
  readonly nominalPowerW: number;
  readonly phases: 1 | 3;
}

const model = (code: number, name: string, nominalPowerW: number, phases: 1 | 3): SungrowModel => ({
  code,
  name,
  nominalPowerW,
  phases,
});

export const SUNGROW_MODELS: readonly SungrowModel[] = [
  model(0x0e00, 'SH5.0RT', 5000, 3),
  model(0x0e01, 'SH6.0RT', 6000, 3),
  model(0x0e02, 'SH8.0RT', 8000, 3),
  model(0x0e03, 'SH10RT', 10000, 3),
  model(0x0e12, 'SH8.0RT-20', 8000, 3),
  model(0x0d0d, 'SH3.6RS', 3600, 1),
  model(0x0d0f, 'SH5.0RS', 5000, 1),
  model(0x0d10, 'SH6.0RS', 6000, 1),
  model(0x0d09, 'SH5K-20', 5000, 1),
];

const BY_CODE = new Map(SUNGROW_MODELS.map((m) => [m.code, m]));

export function modelForCode(code: number): SungrowModel | undefined {
  return BY_CODE.get(code);
}

/** The model name to show; unknown codes still get a useful, stable name. */
export function modelName(code: number): string {
  return modelForCode(code)?.name ?? `Sungrow SH (type 0x${code.toString(16).toUpperCase().padStart(4, '0')})`;
}
