// `npx tsx lab/screenshot.ts [dir]`: regenerates docs/images/web-ui-rollout.png and
// web-ui-region.png, the Temporal Web UI's User Metadata tab of a running rollout and of its first
// region (summary, details, current details), captured by headless Chromium (lab/chromium.ts).
// Runs the lab's demo with a healthy version at time scale 0.1 (30 s stages), waits until the first
// region's judge has given a verdict, captures both pages, then stops everything.
// Needs Debian's chromium (`apt-get install -y chromium`, or CHROMIUM=<binary>); not part of npm test.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { regionWorkflowId } from '../domain/contract.js';
import { screenshot } from './chromium.js';
import { DEFAULT_OPTIONS, SERVICE } from './demo-args.js';
import { Interrupted, waitFor } from './demo-teardown.js';
import { runDemo } from './demo.js';
import { LAB_REGIONS } from './lab.js';
import { PROJECT_ROOT } from './temporal-binaries.js';

const DIR = resolve(process.argv[2] ?? join(PROJECT_ROOT, 'docs/images'));
/** The region's details carry the judge's last verdict, "judge at <phase>: …". */
const VERDICT = 'judge at';

type Started = { client: Client; workflowId: string; webUi: string };

/** What the Web UI shows as a workflow's summary and current details (markdown). */
async function metadataOf(client: Client, workflowId: string): Promise<{ summary: string; details: string }> {
  const handle = client.workflow.getHandle(workflowId);
  const { currentDetails } = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return { summary: (await (await handle.describe()).staticSummary()) ?? '', details: currentDetails ?? '' };
}

async function capture({ client, workflowId, webUi }: Started): Promise<void> {
  const region = regionWorkflowId(SERVICE, LAB_REGIONS[0]);
  // A page worth showing: the first region is in a canary stage and its judge has spoken.
  await waitFor(`a verdict in ${LAB_REGIONS[0]}`, async () => (await metadataOf(client, region)).details.includes(VERDICT), 180_000);
  const pages = [
    { id: workflowId, png: 'web-ui-rollout.png', shows: (details: string) => details.split('\n')[0]! },
    { id: region, png: 'web-ui-region.png', shows: () => VERDICT },
  ];
  for (const page of pages) {
    const { summary, details } = await metadataOf(client, page.id);
    const url = `${webUi.slice(0, webUi.lastIndexOf('/') + 1)}${encodeURIComponent(page.id)}`;
    process.stderr.write(`\ncapturing ${url}\nsummary: ${summary}\ncurrent details:\n${details}\n`);
    // Rendered once the tab shows the workflow's summary and its current details.
    const png = join(DIR, page.png);
    await screenshot({ url, png, width: 1400, height: 800, click: ['User Metadata'], waitForTexts: [summary, page.shows(details)] });
    process.stderr.write(`wrote ${png} (${Math.round(statSync(png).size / 1024)} KB)\n`);
  }
}

async function main(): Promise<void> {
  const controller = new AbortController();
  let onStarted!: (s: Started) => void;
  const started = new Promise<Started>((r) => (onStarted = r));
  const demo = runDemo(
    { ...DEFAULT_OPTIONS, fault: 'none', timeScale: 0.1 },
    { out: process.stderr, signal: controller.signal, onRolloutStarted: onStarted },
  );
  try {
    await capture(await Promise.race([started, demo.then(() => Promise.reject(new Error('the demo ended before its rollout started')))]));
  } finally {
    controller.abort();
    await demo.catch((err: unknown) => {
      if (!(err instanceof Interrupted)) throw err;
    });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
