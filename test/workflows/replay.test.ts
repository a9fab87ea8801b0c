// Determinism guard: histories recorded from the scenarios in rollout.test.ts and control.test.ts
// (test/fixtures/histories, gzipped proto3 JSON) replay against today's workflow code without
// nondeterminism errors. A change that alters history goes behind patched(); re-record with
// MERIDIAN_RECORD_HISTORIES=1, and keep a legacy-*.json.gz of the old shape while rollouts
// recorded by the old code may still be running: legacy-per-check holds histories from before
// the watch activity (a timer and a read per check), cut to a few hundred events each;
// legacy-parse-in-workflow, the delayed rollout from before the worker parsed the request (admission).
// pause-resume-25 and watch-paused (pause.test.ts) hold the neutral hold (NEUTRAL_HOLD_PATCH): a
// signalled pause and resume, and a watch paused with `temporal activity pause`.
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { HISTORIES_DIR } from './record.js';
import { NEUTRAL_HOLD_PATCH, WATCH_PATCH } from '../../workflows/region-watch.js';
import { ADMISSION_PATCH } from '../../workflows/rollout-guards.js';

const fixtures = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json.gz'));
const load = (file: string) => JSON.parse(gunzipSync(readFileSync(`${HISTORIES_DIR}${file}`)).toString('utf8')) as { workflowId: string; history: unknown }[];
/** Whether some history carries the patch's marker (region children that watch in one activity per period: WATCH_PATCH). */
const marked = (entries: { history: unknown }[], patch = WATCH_PATCH) =>
  entries.some((e) => JSON.stringify(e.history, (k, v: unknown) => (k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v)).includes(patch));

describe('replay', () => {
  it('has recorded histories for the main scenarios', () => {
    expect(fixtures.sort()).toEqual(['delayed-success', 'legacy-parse-in-workflow', 'legacy-per-check', 'pause-resume-25', 'sequential-abort-eu-west', 'sequential-breach-50', 'sequential-cancel', 'watch-paused'].map((n) => `${n}.json.gz`));
  });

  it('covers both shapes of region history: one watch activity per period, and the legacy per-check loop', () => {
    expect(marked(load('legacy-per-check.json.gz'))).toBe(false);
    for (const f of fixtures.filter((x) => x !== 'legacy-per-check.json.gz')) expect(marked(load(f)), f).toBe(true);
  });

  it("covers both starts of a rollout: the request parsed by the worker (admission), and in the workflow", () => {
    expect(marked(load('delayed-success.json.gz'), ADMISSION_PATCH)).toBe(true);
    expect(marked(load('legacy-parse-in-workflow.json.gz'), ADMISSION_PATCH)).toBe(false);
  });

  it('covers both shapes of a hold: one that goes on judging its period, and one that opens periods', () => {
    for (const f of ['pause-resume-25.json.gz', 'watch-paused.json.gz']) expect(marked(load(f), NEUTRAL_HOLD_PATCH), f).toBe(true);
    expect(marked(load('sequential-breach-50.json.gz'), NEUTRAL_HOLD_PATCH)).toBe(false);
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
