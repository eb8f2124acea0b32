export * from './contracts.js';
export { parseEventPayload, MAX_PAYLOAD_BYTES, type ParseContext } from './signals/event-payload.js';
export {
  type ParsedDrEvent,
  type ParseResult,
  DEFAULT_EVENT_DURATION_MINUTES,
  MAX_EVENT_DURATION_MINUTES,
  defaultEventId,
} from './signals/parsed-event.js';
export { formatCommunityEvent } from './signals/community-format.js';
export { localWallToUtc, type LocalWallTime } from './signals/local-start.js';
export { drStateAt, nextBoundaryMs, DEFAULT_POST_EVENT_MINUTES } from './signals/calendar.js';
export { DrEventBook, type DrEventBookOptions, type IngestOutcome } from './signals/event-book.js';
export { AggregatorLink, type AggregatorLinkOptions, publishOnce, checkBrokerUrl } from './signals/aggregator-link.js';
export { describeBrokerError } from './signals/broker-errors.js';
export { reconnectDelayMs, RECONNECT_FIRST_MS, RECONNECT_MAX_MS } from './signals/backoff.js';
export { eventTopic, participantTopic, topicWord } from './signals/topics.js';
export { DrSignals, MAX_OPEN_EVENTS, type DrSignalsOptions } from './signals/dr-signals.js';
export { openAggregatorDatabase } from './signals/open-database.js';
export {
  startMosquitto,
  MosquittoMissingError,
  type MosquittoOptions,
  type RunningMosquitto,
} from './testing/mosquitto.js';
export { generateTestCertificates, type TestCertificates } from './testing/certificates.js';
export * from './baseline/index.js';
export * from './sharing/index.js';
export * from './telemetry/index.js';
export {
  startTelemetryReceiver,
  type TelemetryReceiver,
  type TelemetryReceiverOptions,
} from './testing/telemetry-receiver.js';
