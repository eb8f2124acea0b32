import type { ReadingValue } from '@sps/core';
import { decodeField } from './fields.js';
import type { BluettiModel } from './models.js';
import type { RegisterImage } from './registers.js';

/**
 * A poll's registers → readings in the project's keys, units and signs.
 *
 * The station is one box: its AC input is the grid (P1), its DC input the PV/car port (P4), its
 * AC output the transfer-switch side (P3). It cannot export, so grid_power ≥ 0. It has no
 * battery-current register in either layout, so battery_power is the power balance
 * outputs − inputs (+ discharge); the conversion losses land in it.
 */
export function decodeReadings(model: BluettiModel, image: RegisterImage): Record<string, ReadingValue | null> {
  const values: Record<string, ReadingValue | null> = {};
  for (const field of model.fields) {
    const raw = image.u16(field.register);
    values[field.key] = raw === null ? null : decodeField(field.kind, raw);
  }
  const num = (key: string): number | null => {
    const v = values[key];
    return typeof v === 'number' ? v : null;
  };
  const dcIn = num('dc_input_power');
  const acIn = num('ac_input_power');
  const acOut = num('ac_output_power');
  const dcOut = num('dc_output_power');
  values.pv_power = dcIn;
  values.grid_power = acIn;
  values.load_power = acOut !== null && dcOut !== null ? acOut + dcOut : null;
  values.battery_power =
    acOut !== null && dcOut !== null && acIn !== null && dcIn !== null ? acOut + dcOut - acIn - dcIn : null;
  const soc = num('battery_soc');
  // A SOC above 100 % is a misread register, not a fuller battery.
  if (soc !== null && soc > 100) values.battery_soc = null;
  return values;
}
