// The sharing part's public surface (explicit, so it cannot clash with the other parts' names).
export {
  DrSharing,
  DEFAULT_EVENT_DELAY_MS,
  DEFAULT_PERIOD_MS,
  DEFAULT_MAX_BATCH_BYTES,
  sharingSiteSchema,
  type DrSharingOptions,
  type DrSharingStatus,
  type SharingPublish,
} from './dr-sharing.js';
export {
  Outbox,
  DEFAULT_OUTBOX_MAX_BYTES,
  type OutboxOptions,
  type EnqueueOptions,
  type OutboxStatusDetail,
} from './outbox.js';
export { HttpUplink, type HttpUplinkOptions } from './http-uplink.js';
export {
  jsonBatchEncoder,
  type BatchEncoder,
  type BatchEnvelope,
  type EncodedBatch,
  type Uplink,
  type UplinkResult,
} from './uplink.js';
export { uplinkUrlSchema, parseUplinkUrl } from './uplink-url.js';
export { SHARED_KINDS, AVERAGED_KEYS, levelAllows, sharingLevelSchema, type SharedKind } from './levels.js';
export { PARTICIPANTS_TOPIC, PARTICIPANT_FIELDS, participantTopic, participantPayload } from './participant-payload.js';
