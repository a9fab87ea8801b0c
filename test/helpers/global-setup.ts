import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';

// Install the Temporal binaries once, before any test file forks.
export default function setup(): void {
  ensureTemporalBinaries();
}
