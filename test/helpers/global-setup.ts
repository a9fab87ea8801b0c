import { DEBIAN_PACKAGES, ensureDebianPackages, installCommand, missingPackages, type DebianPackage } from '../../workers/debian.js';
import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';

// Once, before any test file forks: the Temporal binaries, and (as root) the Debian services
// the activity and e2e tests run for real. Two forks must never race on apt or pip.
export default function setup(): void {
  ensureTemporalBinaries();
  const all = Object.keys(DEBIAN_PACKAGES) as DebianPackage[];
  if (process.getuid?.() === 0) ensureDebianPackages(all);
  else if (missingPackages(all).length) {
    console.warn(`[meridian] tests that run real services need: sudo sh -c '${installCommand(missingPackages(all))}'`);
  }
}
