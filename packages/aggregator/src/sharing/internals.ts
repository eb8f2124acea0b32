// The building blocks behind DrSharing, for their own unit tests (not part of the package's surface).
export { TimeWeightedAverager } from './time-weighted-averager.js';
export { MinuteSampler } from './minute-sampler.js';
export { participantPayload } from './participant-payload.js';
