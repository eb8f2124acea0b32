import { DecodeError } from '@sps/core';
import { z } from 'zod';
import { describeIssue } from './zod-issue.js';

/** Gen1 speaks plain HTTP; Gen2, Gen3 and Gen4 all speak the same JSON-RPC ("Shelly-NG"). */
export type ShellyGeneration = 1 | 2 | 3 | 4;

/** What `GET /shelly` tells us, for either generation. Never needs a password. */
export interface ShellyIdentity {
  readonly generation: ShellyGeneration;
  /** Gen2+: `SNPL-00112EU`; Gen1: the `type`, e.g. `SHPLG-S`. */
  readonly model: string;
  /** Gen2+ `app` (e.g. `PlusPlugS`); Gen1 has none. */
  readonly app: string | null;
  /** Gen2+ device id, e.g. `shellyplusplugs-aabbccddeeff` (also the digest realm); Gen1: null. */
  readonly deviceId: string | null;
  readonly mac: string;
  readonly firmware: string | null;
  readonly authEnabled: boolean;
  /** Gen1 only: relay and meter counts; Gen2+ learns its components from the status. */
  readonly numOutputs: number | null;
  readonly numMeters: number | null;
}

const gen2Info = z.object({
  gen: z.number().int().min(2).max(9),
  id: z.string().min(1),
  mac: z.string().min(1),
  model: z.string().min(1),
  app: z.string().optional(),
  ver: z.string().optional(),
  fw_id: z.string().optional(),
  auth_en: z.boolean().optional(),
});

const gen1Info = z.object({
  type: z.string().min(1),
  mac: z.string().min(1),
  auth: z.boolean().optional(),
  fw: z.string().optional(),
  num_outputs: z.number().int().min(0).max(16).optional(),
  num_meters: z.number().int().min(0).max(16).optional(),
});

/** Decode `GET /shelly`: a `gen` field means Gen2+, its absence Gen1 (Shelly docs; §2.1/§2.2). */
export function decodeDeviceInfo(json: unknown): ShellyIdentity {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('/shelly: expected a JSON object');
  }
  if ('gen' in json) {
    const parsed = gen2Info.safeParse(json);
    if (!parsed.success) throw new DecodeError(`/shelly: ${describeIssue(parsed.error)}`);
    const d = parsed.data;
    // Generations above 4 speak the same RPC as far as anyone knows; treat them as the newest we know.
    const generation = Math.min(d.gen, 4) as ShellyGeneration;
    return {
      generation,
      model: d.model,
      app: d.app ?? null,
      deviceId: d.id,
      mac: d.mac,
      firmware: d.ver ?? d.fw_id ?? null,
      authEnabled: d.auth_en ?? false,
      numOutputs: null,
      numMeters: null,
    };
  }
  const parsed = gen1Info.safeParse(json);
  if (!parsed.success) throw new DecodeError(`/shelly: ${describeIssue(parsed.error)}`);
  const d = parsed.data;
  return {
    generation: 1,
    model: d.type,
    app: null,
    deviceId: null,
    mac: d.mac,
    firmware: d.fw ?? null,
    authEnabled: d.auth ?? false,
    numOutputs: d.num_outputs ?? null,
    numMeters: d.num_meters ?? null,
  };
}
