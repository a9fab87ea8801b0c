import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { DEBIAN_PACKAGES, ensureDebianPackages, installCommand, missingPackages, type DebianPackage } from '../../workers/debian.js';
import { startTemporalDevServer } from '../../workers/lab/temporal-dev.js';
import { freePort } from '../../workers/lab/processes.js';
import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';
import { namespaceOf, TEST_ROOT, WORKFLOWS_PATH } from './namespaces.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the one dev server every test file shares (a namespace per file). */
    temporalAddress: string;
    /** The workflow bundle, built once for every worker in the run. */
    workflowBundlePath: string;
  }
}

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
  const [server, bundlePath] = await Promise.all([
    startTemporalDevServer({ headless: true, namespaces, ports: { port: await freePort(), uiPort: 0 } }),
    workflowBundlePath(),
  ]);
  await waitForNamespaces(server.address, namespaces);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.daemon.stop();
  };
}

/**
 * The workflow bundle, built once per version of the code it contains: cached under
 * node_modules/.cache keyed by a hash of workflows/, domain/ and the lock file, so a nested or
 * repeated run (the docs' replay command, test:repeat) skips the bundler.
 */
async function workflowBundlePath(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of ['workflows', 'domain']) {
    for (const f of (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).filter((x) => x.endsWith('.ts')).sort()) {
      hash.update(f).update(readFileSync(join(ROOT, dir, f)));
    }
  }
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'meridian');
  const path = join(cacheDir, `workflows-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(path)) return path;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: a concurrent run never reads half a bundle.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, path);
  return path;
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
        const ok = await connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`dev server at ${address}: namespace ${namespace} never appeared`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await connection.close();
  }
}
