// Holds the suite's isolation rules: no two tests share a workflow ID, and no test file shares
// a namespace with another. A wedged workflow can then only fail the test that started it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceName } from '../../domain/rollout-input.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { namespaceOf, TEST_ROOT } from '../helpers/namespaces.js';

const files = (readdirSync(TEST_ROOT, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(TEST_ROOT, f));
const source = (f: string) => readFileSync(f, 'utf8');
const startsWorkflows = (text: string) => /\.workflow\.(start|execute)\(|runRollout\(/.test(text);
/** Files that run workflows on a server (pure unit tests may hold IDs as data). */
const onServer = files.filter((f) => /devServerEnv|createTimeSkippingEnv|runWorker\(|Worker\.create\(/.test(source(f)));

describe('test isolation', () => {
  it('gives every call a fresh, valid service name and task queue', () => {
    const names = Array.from({ length: 200 }, () => uniqueService('payments-api'));
    expect(new Set(names).size).toBe(200);
    for (const n of names) expect(serviceName.safeParse(n).success, n).toBe(true);
    expect(serviceName.safeParse(uniqueService('a-very-long-service-name-that-fills-the-limit-xx')).success).toBe(true);
    expect(uniqueQueue('q')).not.toBe(uniqueQueue('q'));
  });

  it('no test names a workflow ID as a literal: IDs come from the service (rolloutWorkflowId)', () => {
    const offenders = onServer.filter((f) => /workflowId:\s*['"]/.test(source(f))).map((f) => relative(TEST_ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('workflow tests take their service from the harness, never a shared literal', () => {
    const offenders = files
      .filter((f) => /[/\\](workflows|activities)[/\\].*\.test\.ts$/.test(f) && startsWorkflows(source(f)))
      .filter((f) => /\bservice:\s*['"]/.test(source(f)))
      .map((f) => relative(TEST_ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('each test file on the dev server has its own namespace', () => {
    const onDevServer = files.filter((f) => f.endsWith('.test.ts') && source(f).includes('devServerEnv(import.meta.url)'));
    expect(onDevServer.length).toBeGreaterThan(5);
    expect(new Set(onDevServer.map(namespaceOf)).size).toBe(onDevServer.length);
    const shared = onServer.filter(
      (f) => /TEMPORAL_NAMESPACE:\s*'default'|namespace:\s*'default'/.test(source(f)) && !f.endsWith('temporal.ts'),
    );
    expect(shared.map((f) => relative(TEST_ROOT, f))).toEqual([]);
  });
});
