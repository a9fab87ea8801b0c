// Determinism guard: histories recorded from the scenarios in rollout.test.ts and control.test.ts
// (test/fixtures/histories, gzipped proto3 JSON) replay against today's workflow code without
// nondeterminism errors. A change that alters history goes behind patched(); re-record with
// MERIDIAN_RECORD_HISTORIES=1, and keep a legacy-*.json.gz of the old shape while rollouts
// recorded by the old code may still be running: legacy-per-check holds histories from before
// the watch activity (a timer and a read per check), cut to a few hundred events each.
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { HISTORIES_DIR } from './record.js';
import { WATCH_PATCH } from '../../workflows/region-watch.js';

const fixtures = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json.gz'));
const load = (file: string) => JSON.parse(gunzipSync(readFileSync(`${HISTORIES_DIR}${file}`)).toString('utf8')) as { workflowId: string; history: unknown }[];
/** Histories whose region children watch in one activity per period carry the patch marker. */
const marked = (entries: { history: unknown }[]) =>
  entries.some((e) => JSON.stringify(e.history, (k, v: unknown) => (k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v)).includes(WATCH_PATCH));

describe('replay', () => {
  it('has recorded histories for the main scenarios', () => {
    expect(fixtures.sort()).toEqual(['delayed-success', 'legacy-per-check', 'sequential-abort-eu-west', 'sequential-breach-50', 'sequential-cancel'].map((n) => `${n}.json.gz`));
  });

  it('covers both shapes of region history: one watch activity per period, and the legacy per-check loop', () => {
    expect(marked(load('legacy-per-check.json.gz'))).toBe(false);
    for (const f of fixtures.filter((x) => !x.startsWith('legacy-'))) expect(marked(load(f)), f).toBe(true);
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
