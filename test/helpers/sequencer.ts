import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest, mostly waiting on scaled wall-clock time (the lab runs, the drills, the
 * docs' rollouts), start first so that the short ones fill in beside them; a fresh clone has no
 * timing cache to sort by. The rest: larger files first.
 */
const LONGEST_FIRST = [
  'test/e2e/demo.test.ts',
  'test/e2e/demo-subtle.test.ts',
  'test/e2e/docs.test.ts',
  'test/e2e/worker-real-activities.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/worker-kill.test.ts',
  'test/workflows/real-time.test.ts',
  'test/e2e/server-restart.test.ts',
  'test/e2e/demo-interrupt.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId === `${root}/${p}`);
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    const size = (f: TestSpecification) => statSync(f.moduleId).size;
    return [...files].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}
