// Determinism guard: histories recorded from the scenarios in rollout.test.ts, control.test.ts,
// pause.test.ts and fleet.test.ts (test/fixtures/histories, gzipped proto3 JSON) replay against today's workflow
// code without nondeterminism errors. Rollouts are pinned to the build they started on (Worker
// Versioning), so a history only ever replays on its own build: a change that alters history is
// re-recorded with MERIDIAN_RECORD_HISTORIES=1, never put behind patched().
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { HISTORIES_DIR } from './record.js';

const fixtures = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json.gz'));
const load = (file: string) =>
  JSON.parse(gunzipSync(readFileSync(`${HISTORIES_DIR}${file}`)).toString('utf8')) as { workflowId: string; history: unknown }[];

describe('replay', () => {
  it('has recorded histories for the main scenarios', () => {
    expect(fixtures.sort()).toEqual(
      [
        'delayed-success',
        'fleet-host-out',
        'pause-resume-25',
        'sequential-abort-eu-west',
        'sequential-breach-50',
        'sequential-cancel',
        'watch-paused',
      ].map((n) => `${n}.json.gz`),
    );
  });

  it.each(fixtures)('%s replays without nondeterminism', async (file) => {
    const entries = load(file);
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
