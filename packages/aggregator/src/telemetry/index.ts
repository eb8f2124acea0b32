// The remote-telemetry part's public surface.
export {
  TelemetryProfile,
  TELEMETRY_STREAM,
  DEFAULT_TELEMETRY_INTERVAL_MS,
  DEFAULT_TELEMETRY_BATCH_MS,
  DEFAULT_TELEMETRY_MAX_AGE_MS,
  DEFAULT_TELEMETRY_MAX_BYTES,
  type TelemetryAlarmEvent,
  type TelemetryProfileOptions,
  type TelemetryStatus,
} from './telemetry-profile.js';
export {
  decodeTelemetryBatch,
  encodeTelemetryBatch,
  telemetryBatchEncoder,
  telemetryBatchCbor,
  deltaEncode,
  deltaDecode,
  TELEMETRY_CONTENT_TYPE,
  TELEMETRY_FORMAT,
  DEFAULT_TELEMETRY_COMPRESSION,
  MAX_DECODED_BYTES,
  type DecodeResult,
  type TelemetryAlarm,
  type TelemetryAlarmRecord,
  type TelemetryBatch,
  type TelemetryCompression,
  type TelemetryRecord,
  type TelemetrySample,
  type TelemetrySampleRecord,
} from './telemetry-codec.js';
export { DEFAULT_TELEMETRY_FIELDS, fieldDecimals } from './telemetry-fields.js';
export { MqttUplink, type MqttUplinkOptions, DEFAULT_TELEMETRY_MQTT_KEEPALIVE_S } from './mqtt-uplink.js';
