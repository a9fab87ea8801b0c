import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { TestProject } from 'vitest/node';
import { DEBIAN_PACKAGES, ensureDebianPackages, installCommand, missingPackages, type DebianPackage } from '../../lab/debian.js';
import { startTemporalDevServer } from '../../lab/temporal-dev.js';
import { freePort } from '../../lab/processes.js';
import { ensureTemporalBinaries } from '../../lab/temporal-binaries.js';
import { workflowBundle } from '../../workers/bundle.js';
import { namespaceOf, TEST_ROOT } from './namespaces.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the one dev server every test file shares (a namespace per file). */
    temporalAddress: string;
    /** The workflow bundle, built once for every worker in the run. */
    workflowBundlePath: string;
  }
}

/*
 * Worker Versioning in tests: every worker startWorker runs on the dev server is a version of
 * deployment "meridian" in its file's namespace, build ID the code's hash. Tests of one file use
 * queues of their own but the same build, so they join one version: the first worker makes it
 * current (first install), the others find it current and start at once. Only the versioning
 * drill runs two builds, under a deployment name of its own. The time-skipping server has no
 * Worker Deployments: workers there stay unversioned (Worker.create, or startWorker's `versioning: false`).
 *
 * A Worker Deployment version that stops being current reports "drained" once no workflow pinned
 * to it is open: the server checks visibility after a grace period and then periodically (3 min
 * each by default). Seconds here, so the versioning drill sees its old build drain and exit.
 */
const DRAINAGE_IN_SECONDS = {
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
};

// Once, before any test file forks: the Temporal binaries, (as root) the Debian services the
// activity and e2e tests run for real, one dev server and one workflow bundle for the whole run.
// Two forks must never race on apt or pip.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureTemporalBinaries();
  const all = Object.keys(DEBIAN_PACKAGES) as DebianPackage[];
  if (process.getuid?.() === 0) ensureDebianPackages(all);
  else if (missingPackages(all).length) {
    console.warn(`[meridian] tests that run real services need: sudo sh -c '${installCommand(missingPackages(all))}'`);
  }
  const namespaces = testFiles().map(namespaceOf);
  const [server, bundle] = await Promise.all([
    startTemporalDevServer({
      headless: true,
      namespaces,
      ports: { port: await freePort(), uiPort: 0 },
      dynamicConfig: DRAINAGE_IN_SECONDS,
    }),
    workflowBundle(),
  ]);
  await waitForNamespaces(server.address, namespaces);
  project.provide('temporalAddress', server.address);
  if (!('codePath' in bundle)) throw new Error('the workflow bundle could not be cached under node_modules/.cache');
  project.provide('workflowBundlePath', bundle.codePath);
  return async () => {
    await server.daemon.stop();
  };
}

function testFiles(): string[] {
  return (readdirSync(TEST_ROOT, { recursive: true }) as string[]).filter((f) => f.endsWith('.test.ts')).map((f) => join(TEST_ROOT, f));
}

/** The frontend answers before namespaces are registered: wait until the last one describes. */
async function waitForNamespaces(address: string, namespaces: string[]): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 60_000;
    for (const namespace of namespaces) {
      for (;;) {
        const ok = await connection.workflowService.describeNamespace({ namespace }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`dev server at ${address}: namespace ${namespace} never appeared`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await connection.close();
  }
}
