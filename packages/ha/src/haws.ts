/**
 * home-assistant-js-websocket, typed for this CommonJS build. The package's `require` export
 * (dist/haws.cjs) ships no .d.ts, so the types come from its ESM declarations and the runtime
 * from the CJS bundle — the same code either way.
 */
import type * as Haws from 'home-assistant-js-websocket' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const haws = require('home-assistant-js-websocket') as typeof Haws;

export const { createConnection, getStates, callService, ERR_CANNOT_CONNECT, ERR_INVALID_AUTH } = haws;
export type Connection = Haws.Connection;
export type HaWebSocket = Haws.HaWebSocket;
export type HassEntity = Haws.HassEntity;
export type HassServiceTarget = Haws.HassServiceTarget;
