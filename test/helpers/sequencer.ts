import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest, mostly waiting on scaled wall-clock time (the lab runs, the drills, the
 * docs' rollouts), start first so that the short ones fill in beside them; a fresh clone has no
 * timing cache to sort by. The rest by kind, slowest kind first (e2e, workflow, activity, unit
 * tests: a unit test file takes a second), then larger files first.
 */
const LONGEST_FIRST = [
  'test/e2e/demo-fleet.test.ts',
  'test/e2e/demo.test.ts',
  'test/e2e/demo-subtle.test.ts',
  'test/e2e/docs.test.ts',
  'test/e2e/worker-real-activities.test.ts',
  'test/e2e/cli.test.ts',
  'test/workflows/rollout.test.ts',
  'test/workflows/real-time.test.ts',
  'test/e2e/worker-kill.test.ts',
  'test/e2e/server-restart.test.ts',
  'test/e2e/secrets.test.ts',
  'test/e2e/demo-interrupt.test.ts',
  'test/workflows/control.test.ts',
  'test/workflows/guards.test.ts',
  'test/e2e/connection-profiles.test.ts',
  'test/activities/deploy-ssh.test.ts',
];
const KINDS = ['test/e2e/', 'test/workflows/', 'test/activities/', 'test/unit/'];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId === `${root}/${p}`);
      if (i >= 0) return i;
      const kind = KINDS.findIndex((k) => f.moduleId.startsWith(`${root}/${k}`));
      return LONGEST_FIRST.length + (kind < 0 ? KINDS.length : kind);
    };
    const size = (f: TestSpecification) => statSync(f.moduleId).size;
    return [...files].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}
