import { z } from 'zod';
import { TariffConfigError } from './errors.js';
import type { PriceProvider } from './provider.js';
import { MINUTE } from './provider.js';
import { AEMO_REGIONS, AEMO_REGION_TIME_ZONES, AemoPriceProvider } from './providers/aemo.js';
import { AmberPriceProvider } from './providers/amber.js';
import { FlowPowerPriceProvider } from './providers/flowpower.js';
import { GLOBIRD_DEFAULT_TOU, GlobirdPriceProvider } from './providers/globird.js';
import { OCTOPUS_REGIONS, OctopusPriceProvider } from './providers/octopus.js';
import { TouPriceProvider, hhmmSchema, timeZoneSchema, touScheduleSchema } from './providers/tou.js';
import { describeZodError } from './errors.js';

/*
 * The add-on's `tariff` option block, one shape per provider, discriminated by
 * `provider`. Every provider has a `baseUrl` so tests (and proxies) can point it
 * at another server.
 */

const baseUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();
const timeoutMs = (fallback: number) => z.number().int().min(100).max(120_000).default(fallback);
const pollIntervalMs = z
  .number()
  .int()
  .min(10_000)
  .max(24 * 60 * MINUTE)
  .optional();
const price = z.number().refine(Number.isFinite, 'must be a finite number');
const aemoRegion = z.preprocess(
  (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  z.enum(AEMO_REGIONS, { error: `must be one of ${AEMO_REGIONS.join(', ')}` }),
);
const spikeThreshold = z.number().default(3000);

export const amberConfigSchema = z.object({
  provider: z.literal('amber'),
  token: z.string().min(1, 'the Amber API token is required'),
  siteId: z.string().min(1, 'the Amber site id is required'),
  resolution: z.union([z.literal(5), z.literal(30)]).optional(),
  next: z.number().int().min(1).max(2048).default(288),
  previous: z.number().int().min(0).max(2047).default(12),
  forecastPrice: z.enum(['perKwh', 'advancedPredicted']).default('perKwh'),
  baseUrl,
  timeoutMs: timeoutMs(10_000),
  pollIntervalMs,
});

export const octopusConfigSchema = z.object({
  provider: z.literal('octopus'),
  region: z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase().replace(/^_/, '') : v),
    z.enum(OCTOPUS_REGIONS, { error: 'must be a GSP region letter A–P (not I or O)' }),
  ),
  product: z.string().min(1).default('agile'),
  tariffCode: z
    .string()
    .regex(/^E-[A-Z0-9]+-[A-Z0-9-]+-[A-P]$/, 'must look like E-1R-AGILE-24-10-01-C')
    .optional(),
  exportProduct: z.string().min(1).optional(),
  exportTariffCode: z
    .string()
    .regex(/^E-[A-Z0-9]+-[A-Z0-9-]+-[A-P]$/, 'must look like E-1R-AGILE-OUTGOING-19-05-13-C')
    .optional(),
  exportRate: price.optional(),
  paymentMethod: z.enum(['direct_debit', 'non_direct_debit']).default('direct_debit'),
  horizonHours: z
    .number()
    .positive()
    .max(24 * 7)
    .default(48),
  publicationPollMs: pollIntervalMs,
  baseUrl,
  timeoutMs: timeoutMs(15_000),
});

const aemoCommon = {
  region: aemoRegion,
  baseUrl,
  timeoutMs: timeoutMs(15_000),
  pollIntervalMs,
  /** Keep dispatch prices that ended up to this many minutes ago. */
  pastMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(60),
  spikeThresholdPerMWh: spikeThreshold,
};

export const aemoConfigSchema = z.object({
  provider: z.literal('aemo'),
  ...aemoCommon,
  gst: z.number().min(0).max(1).default(0.1),
  gstOnExport: z.boolean().default(false),
  importAdderPerKwh: price.default(0),
  exportMultiplier: price.default(1),
  exportAdderPerKwh: price.default(0),
  spikeHysteresisPerMWh: z.number().min(0).default(0),
});

export const flowPowerConfigSchema = z.object({
  provider: z.literal('flowpower'),
  ...aemoCommon,
  timeZone: timeZoneSchema.optional(),
  gst: z.number().min(0).max(1).default(0.1),
  baseRate: price.default(0.34),
  twap: price.default(0.08),
  bpea: price.default(0.017),
  networkAdjustment: price.default(0),
  importFloor: price.default(0),
  happyHour: z
    .object({ start: hhmmSchema, end: hhmmSchema, rate: price.optional() })
    .default({ start: 17 * 60 + 30, end: 19 * 60 + 30 }),
  exportOutsideHappyHour: price.default(0),
});

export const globirdConfigSchema = z.object({
  provider: z.literal('globird'),
  ...aemoCommon,
  timeZone: timeZoneSchema.optional(),
  /** Overrides of the preset time-of-use schedule (any field of a `tou` tariff except timeZone). */
  tou: z.record(z.string(), z.unknown()).default({}),
  spikeHysteresisPerMWh: z.number().min(0).default(20),
  spikeExportRate: price.optional(),
});

export const touConfigSchema = touScheduleSchema.extend({ provider: z.literal('tou'), pollIntervalMs });

export const flatConfigSchema = z.object({
  provider: z.literal('flat'),
  currency: z.string().length(3, 'must be an ISO 4217 code such as AUD, GBP, EUR').default('AUD'),
  timeZone: timeZoneSchema.default('UTC'),
  import: price,
  export: price.default(0),
  horizonHours: z
    .number()
    .positive()
    .max(24 * 14)
    .default(48),
});

function globirdSchedule(cfg: z.output<typeof globirdConfigSchema>) {
  return touScheduleSchema.safeParse({
    ...GLOBIRD_DEFAULT_TOU,
    ...cfg.tou,
    timeZone: cfg.timeZone ?? AEMO_REGION_TIME_ZONES[cfg.region],
  });
}

export const tariffConfigSchema = z
  .discriminatedUnion(
    'provider',
    [
      amberConfigSchema,
      octopusConfigSchema,
      aemoConfigSchema,
      flowPowerConfigSchema,
      globirdConfigSchema,
      touConfigSchema,
      flatConfigSchema,
    ],
    { error: 'provider must be one of amber, octopus, aemo, flowpower, globird, tou, flat' },
  )
  .superRefine((cfg, ctx) => {
    if (cfg.provider === 'globird') {
      const schedule = globirdSchedule(cfg);
      if (!schedule.success) {
        for (const issue of schedule.error.issues) {
          ctx.addIssue({ code: 'custom', message: issue.message, path: ['tou', ...issue.path] });
        }
      }
    }
    if (cfg.provider === 'octopus' && cfg.exportRate !== undefined && (cfg.exportProduct || cfg.exportTariffCode)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either exportRate or an export product, not both',
        path: ['exportRate'],
      });
    }
  });

export type TariffConfig = z.output<typeof tariffConfigSchema>;
export type TariffConfigInput = z.input<typeof tariffConfigSchema>;
export type TariffProviderName = TariffConfig['provider'];

/** Validate options; the error names the offending field (e.g. `region: must be a GSP region letter`). */
export function parseTariffConfig(input: unknown): TariffConfig {
  const parsed = tariffConfigSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TariffConfigError(`invalid tariff config: ${describeZodError(parsed.error)}`, first?.path.join('.'));
  }
  return parsed.data;
}

/** The one place that turns a validated config into a provider. */
export function createPriceProvider(config: TariffConfig): PriceProvider {
  switch (config.provider) {
    case 'amber':
      return new AmberPriceProvider(config);
    case 'octopus':
      return new OctopusPriceProvider(config);
    case 'aemo':
      return new AemoPriceProvider({ ...config, pastMs: config.pastMinutes * MINUTE });
    case 'flowpower':
      return new FlowPowerPriceProvider({ ...config, pastMs: config.pastMinutes * MINUTE });
    case 'globird': {
      const schedule = globirdSchedule(config);
      if (!schedule.success)
        throw new TariffConfigError(`invalid GloBird schedule: ${describeZodError(schedule.error)}`, 'tou');
      return new GlobirdPriceProvider({ ...config, schedule: schedule.data, pastMs: config.pastMinutes * MINUTE });
    }
    case 'tou':
      return new TouPriceProvider(config, 'tou');
    case 'flat':
      return new TouPriceProvider(
        touScheduleSchema.parse({
          currency: config.currency,
          timeZone: config.timeZone,
          defaultImport: config.import,
          defaultExport: config.export,
          horizonHours: config.horizonHours,
        }),
        'flat',
      );
  }
}
