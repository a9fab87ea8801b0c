// Determinism guard: histories recorded from the scenarios in rollout.test.ts and control.test.ts
// (test/fixtures/histories) replay against today's workflow code without nondeterminism errors.
// A change that alters history must go behind patched(); re-record with MERIDIAN_RECORD_HISTORIES=1
// only once old histories can no longer be running.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { HISTORIES_DIR } from './record.js';

const fixtures = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

describe('replay', () => {
  it('has recorded histories for the main scenarios', () => {
    expect(fixtures.sort()).toEqual(['delayed-success', 'sequential-abort-eu-west', 'sequential-breach-50', 'sequential-cancel'].map((n) => `${n}.json`));
  });

  it.each(fixtures)('%s replays without nondeterminism', async (file) => {
    const entries = JSON.parse(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')) as { workflowId: string; history: unknown }[];
    expect(entries.length).toBeGreaterThan(1);
    const histories = entries.map((e) => ({ workflowId: e.workflowId, history: historyFromJSON(e.history) }));
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) {
      expect(result.error, `${result.workflowId}: ${result.error?.message}`).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(entries.length);
  });
});
