// The client library for CI scripts: connect, start, wait, steer, watch, list and compare rollouts.
export { connectClient, connectionOptions, taskQueueFrom, type ConnectOptions } from './connection.js';
export { InvalidRolloutInput, RejectedInput, RolloutConflict, TemporalSettingsError } from './errors.js';
export {
  abort,
  approve,
  emergencyRollback,
  pause,
  resume,
  startRollout,
  waitForResult,
  type EmergencyRollback,
  type StartedRollout,
} from './rollouts.js';
export {
  compareRegions,
  getStatus,
  listRollouts,
  watch,
  type RegionComparison,
  type RegionView,
  type RolloutSummary,
  type RolloutView,
} from './status.js';
