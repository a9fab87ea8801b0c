// Every workflow the worker registers (the bundler loads this file).
export { multiRegionRollout } from './multi-region-rollout.js';
export { regionRollout } from './region-rollout.js';
export { emergencyRollback } from './emergency-rollback.js';
