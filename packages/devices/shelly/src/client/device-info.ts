import { toDeviceError } from '@sps/core';
import { decodeDeviceInfo, type ShellyIdentity } from '../codec/device-info.js';
import { httpExchange, httpStatusError, jsonBody, type HttpTarget } from './http.js';

/** `GET /shelly`: identity and generation; answered without authentication by every generation. */
export async function fetchDeviceInfo(target: HttpTarget): Promise<ShellyIdentity> {
  const answer = await httpExchange(target, { method: 'GET', path: '/shelly' });
  if (answer.status !== 200) throw httpStatusError(answer, 'GET /shelly');
  try {
    return decodeDeviceInfo(jsonBody(answer, 'GET /shelly'));
  } catch (err) {
    throw toDeviceError(err);
  }
}
