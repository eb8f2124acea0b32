import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  DR_EVENT_TYPES,
  DR_MODES,
  DR_PROGRAMS,
  SHARING_LEVELS,
  checkBrokerUrl,
  eventTopic,
  formatCommunityEvent,
  localWallToUtc,
  parseEventPayload,
  publishOnce,
  type BrokerOptions,
  type DrApiStatus,
  type DrEventType,
  type DrProgram,
} from '@sps/aggregator';
import { isValidTimeZone, offsetMs, systemClock } from '@sps/core';
import { z } from 'zod';
import { type CliCommand, type CliIo, CliError, EXIT_BAD_INPUT, parseFlags, stringFlag } from './command.js';
import { envSecret, readSecretFile } from './secret-flags.js';

/**
 * `sps dr send` publishes one test event to any broker (the community `#` format by default, the
 * JSON form with --json-format) and exits once the broker acknowledged it (QoS 1 PUBACK).
 * `sps dr status` prints a running add-on's `GET /api/dr`.
 */
const SEND_FLAGS = {
  broker: { type: 'string' },
  network: { type: 'string' },
  program: { type: 'string' },
  type: { type: 'string' },
  start: { type: 'string' },
  'time-zone': { type: 'string' },
  'json-format': { type: 'boolean' },
  'duration-minutes': { type: 'string' },
  'goal-kw': { type: 'string' },
  id: { type: 'string' },
  cancel: { type: 'boolean' },
  username: { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const STATUS_FLAGS = { url: { type: 'string' }, json: { type: 'boolean' } } as const;

const SEND_USAGE =
  'sps dr send --broker mqtt://host:1883 --network NAME --program CSRP|DLRP --type contingency|immediate ' +
  '--start "YYYY-MM-DD HH:MM:SS" [--time-zone ZONE] [--json-format [--duration-minutes M] [--goal-kw G] [--id ID] [--cancel]] ' +
  '[--username U --password-file FILE (or env SPS_MQTT_PASSWORD)] [--ca FILE --cert FILE --key FILE] [--json]';
const STATUS_USAGE = 'sps dr status [--url http://127.0.0.1:8099] [--json]';

const HELP = `usage:
  ${SEND_USAGE}
  ${STATUS_USAGE}

sps dr send publishes one demand-response event on OpenDemandResponse/Event/<network> (spaces removed)
at QoS 1 and exits 0 once the broker acknowledged it.
  --start        the event start as local wall time in --time-zone (default: this machine's zone)
  --json-format  the JSON form (start sent as ISO 8601 with the zone's offset) instead of
                 <program>#<type>#<start>#<sent>; only it carries --duration-minutes (default 240),
                 --goal-kw, --id and --cancel
  --ca/--cert/--key  PEM files for mqtts:// (CA, client certificate and key)

sps dr status prints the running add-on's demand-response state (GET /api/dr).
`;

/** Which flag a parser reason is about (its first word), so the error names what the user typed. */
const REASON_FLAG: Record<string, string> = {
  program: '--program',
  type: '--type',
  start: '--start',
  end: '--duration-minutes',
  duration_minutes: '--duration-minutes',
  goal_kw: '--goal-kw',
  id: '--id',
  'time zone': '--time-zone',
};

function flagReason(reason: string): string {
  const [field, ...rest] = reason.split(': ');
  const flag = REASON_FLAG[field ?? ''];
  return flag === undefined ? reason : `${flag}: ${rest.join(': ')}`;
}

function required(values: Record<string, string | boolean | undefined>, name: string, hint: string): string {
  const value = stringFlag(values, name);
  if (value === undefined || value.trim() === '') throw new CliError(`--${name}: required (${hint})`, EXIT_BAD_INPUT);
  return value.trim();
}

function readPem(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('-----BEGIN')) throw new CliError(`--${flag}: ${file} is not a PEM file`, EXIT_BAD_INPUT);
    return text;
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--${flag}: cannot read ${file}${code ? ` (${code})` : ''}`, EXIT_BAD_INPUT);
  }
}

function password(values: Record<string, string | boolean | undefined>, io: CliIo): string | undefined {
  const file = stringFlag(values, 'password-file');
  const inline = stringFlag(values, 'password');
  const warn = (line: string): void => void io.stderr.write(line + '\n');
  if (file !== undefined && inline !== undefined) {
    throw new CliError('--password-file: give either --password-file or --password, not both', EXIT_BAD_INPUT);
  }
  if (file !== undefined) return readSecretFile('password-file', file, warn);
  if (inline !== undefined) {
    warn(
      'warning: --password is visible to every user of this machine (ps); use --password-file FILE or env SPS_MQTT_PASSWORD',
    );
    return inline;
  }
  return envSecret(io.env, 'SPS_MQTT_PASSWORD');
}

function positiveNumber(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new CliError(`--${name}: expected a number above 0`, EXIT_BAD_INPUT);
  }
  return value;
}

/** ISO 8601 with the zone's own offset at that instant (e.g. 2026-07-01T16:00:00-04:00). */
function isoWithOffset(ms: number, timeZone: string): string {
  const offset = offsetMs(ms, timeZone);
  const local = new Date(ms + offset).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60_000;
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const LOCAL_START = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

function buildPayload(values: Record<string, string | boolean | undefined>, timeZone: string, now: number): string {
  const program = required(values, 'program', DR_PROGRAMS.join(' or ')).toUpperCase();
  const type = required(values, 'type', DR_EVENT_TYPES.join(' or ')).toLowerCase();
  const start = required(values, 'start', '"YYYY-MM-DD HH:MM:SS" local time');
  const json = values['json-format'] === true;
  const jsonOnly = ['duration-minutes', 'goal-kw', 'id', 'cancel'].filter((f) => values[f] !== undefined);
  if (!json && jsonOnly.length > 0) {
    throw new CliError(
      `--${jsonOnly[0]}: only with --json-format (the # format carries no ${jsonOnly[0]})`,
      EXIT_BAD_INPUT,
    );
  }
  const sent = new Date(now).toISOString();
  if (!json) return formatCommunityEvent(program as DrProgram, type as DrEventType, start, sent);
  const m = LOCAL_START.exec(start);
  if (!m) throw new CliError('--start: expected a local time YYYY-MM-DD HH:MM:SS', EXIT_BAD_INPUT);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const startMs = localWallToUtc({ year, month, day, hour, minute, second }, timeZone).ms;
  if (!Number.isFinite(startMs)) throw new CliError(`--start: ${start} is not a date and time`, EXIT_BAD_INPUT);
  const duration = stringFlag(values, 'duration-minutes');
  const body: Record<string, unknown> = {
    ...(stringFlag(values, 'id') !== undefined ? { id: stringFlag(values, 'id') } : {}),
    program,
    type,
    start: isoWithOffset(startMs, timeZone),
    ...(duration !== undefined ? { duration_minutes: Number(duration) } : {}),
    ...(positiveNumber(values, 'goal-kw') !== undefined ? { goal_kw: positiveNumber(values, 'goal-kw') } : {}),
    status: values['cancel'] === true ? 'cancelled' : 'active',
    sent_at: sent,
  };
  return JSON.stringify(body);
}

async function send(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, SEND_FLAGS, true);
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`, EXIT_BAD_INPUT);
  const url = required(values, 'broker', 'mqtt://host:1883 or mqtts://host:8883');
  const badUrl = checkBrokerUrl(url);
  if (badUrl !== null) throw new CliError(badUrl.replace(/^broker url: /, '--broker: '), EXIT_BAD_INPUT);
  const network = required(values, 'network', "the aggregator's network name");
  const timeZone = stringFlag(values, 'time-zone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isValidTimeZone(timeZone))
    throw new CliError(`--time-zone: "${timeZone}" is not an IANA time zone`, EXIT_BAD_INPUT);
  let topic: string;
  try {
    topic = eventTopic(network);
  } catch (err) {
    throw new CliError(`--network: ${(err as Error).message.replace(/^network name "[^"]*": /, '')}`, EXIT_BAD_INPUT);
  }
  const now = systemClock.now();
  const payload = buildPayload(values, timeZone, now);
  // Never send what our own parser would refuse: the receiving add-on would only log and count it.
  const check = parseEventPayload(payload, { timeZone, receivedAtMs: now });
  if (!check.ok) throw new CliError(flagReason(check.reason), EXIT_BAD_INPUT);
  if (check.warning !== undefined) io.stderr.write(`warning: ${check.warning}\n`);
  const username = stringFlag(values, 'username');
  const pass = password(values, io);
  const ca = readPem('ca', stringFlag(values, 'ca'));
  const cert = readPem('cert', stringFlag(values, 'cert'));
  const key = readPem('key', stringFlag(values, 'key'));
  if ((cert === undefined) !== (key === undefined)) {
    throw new CliError(
      cert === undefined ? '--cert: required with --key' : '--key: required with --cert',
      EXIT_BAD_INPUT,
    );
  }
  const broker: BrokerOptions = {
    url,
    clientId: `sps-dr-send-${randomBytes(4).toString('hex')}`,
    ...(username !== undefined ? { username } : {}),
    ...(pass !== undefined ? { password: pass } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
  try {
    await publishOnce(broker, topic, payload, systemClock);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`broker ${url}: ${message}`, 1);
  }
  const e = check.event;
  if (values['json'] === true) {
    io.stdout.write(
      JSON.stringify({
        topic,
        payload,
        event: { id: e.id, start: new Date(e.startMs).toISOString(), end: new Date(e.endMs).toISOString() },
      }) + '\n',
    );
  } else {
    io.stdout.write(
      `published to ${topic} on ${url} (acknowledged):\n  ${payload}\n` +
        `  ${e.status === 'cancelled' ? 'cancels' : 'event'} ${e.id}: ${isoWithOffset(e.startMs, timeZone)} → ${isoWithOffset(e.endMs, timeZone)} (${timeZone})\n`,
    );
  }
  return 0;
}

/** `GET /api/dr` as the add-on serves it (DrApiStatus); extra fields may follow and are kept. */
const drApiStatusSchema = z.looseObject({
  mode: z.enum(DR_MODES),
  event: z
    .looseObject({
      id: z.string(),
      program: z.enum(DR_PROGRAMS),
      type: z.enum(DR_EVENT_TYPES),
      start: z.string(),
      end: z.string(),
      goal_kw: z.number(),
      opted_out: z.boolean(),
    })
    .nullable(),
  baseline_kw: z.number().nullable(),
  actual_kw: z.number().nullable(),
  avoided_kwh: z.number(),
  sharing: z.enum(SHARING_LEVELS),
  outbox: z.looseObject({ pending: z.number(), dropped: z.number() }),
  broker: z.looseObject({ connected: z.boolean() }),
});

const STATUS_TIMEOUT_MS = 10_000;

function kw(value: number | null, unit: string): string {
  return value === null ? 'n/a' : `${Math.round(value * 1000) / 1000} ${unit}`;
}

function formatStatus(s: DrApiStatus): string {
  const rows: [string, string][] = [['mode', s.mode]];
  if (s.event === null) rows.push(['event', 'none']);
  else {
    rows.push(
      ['event', `${s.event.id} (${s.event.program} ${s.event.type})${s.event.opted_out ? ', opted out' : ''}`],
      ['start', s.event.start],
      ['end', s.event.end],
      ['goal', kw(s.event.goal_kw, 'kW')],
    );
  }
  rows.push(
    ['baseline', kw(s.baseline_kw, 'kW')],
    ['actual', kw(s.actual_kw, 'kW')],
    ['avoided', kw(s.avoided_kwh, 'kWh')],
    ['sharing', s.sharing],
    ['outbox', `${s.outbox.pending} pending, ${s.outbox.dropped} dropped`],
    ['broker', s.broker.connected ? 'connected' : 'not connected'],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

async function status(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, STATUS_FLAGS, true);
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`, EXIT_BAD_INPUT);
  const base = stringFlag(values, 'url') ?? 'http://127.0.0.1:8099';
  let endpoint: URL;
  try {
    endpoint = new URL('api/dr', base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new CliError(`--url: "${base}" is not a URL`, EXIT_BAD_INPUT);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new CliError('--url: expected http:// or https://', EXIT_BAD_INPUT);
  }
  let response: Response;
  try {
    response = await fetch(endpoint, {
      signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const inner = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    const cause =
      typeof inner?.code === 'string' ? inner.code : typeof inner?.message === 'string' ? inner.message : String(err);
    throw new CliError(`GET ${endpoint.href}: cannot reach the add-on (${cause})`, 1);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new CliError(
      `GET ${endpoint.href}: HTTP ${response.status}${text ? ` ${text.slice(0, 200).split('\n')[0]}` : ''}`,
      1,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`GET ${endpoint.href}: the answer is not JSON`, 1);
  }
  const parsed = drApiStatusSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `GET ${endpoint.href}: unexpected answer (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
      1,
    );
  }
  io.stdout.write(
    values['json'] === true ? JSON.stringify(parsed.data) + '\n' : formatStatus(parsed.data as DrApiStatus),
  );
  return 0;
}

export const drCommand: CliCommand = {
  name: 'dr',
  summary: "demand response: publish a test event to a broker (send), or show the add-on's DR state (status)",
  usage: `${SEND_USAGE}\n       ${STATUS_USAGE}`,
  help: () => HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'send') return send(rest, io);
    if (sub === 'status') return status(rest, io);
    throw new CliError(
      sub === undefined ? 'missing subcommand: send or status' : `unknown subcommand "${sub}" (send or status)`,
      EXIT_BAD_INPUT,
    );
  },
};
