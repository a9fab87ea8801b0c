// The workflow bundle, built once per version of the workflow code and kept under
// node_modules/.cache/meridian (keyed by a hash of workflows/, domain/ and the lock file): a worker
// that restarts, or a test run, skips the bundler. Where the cache cannot be written, it bundles
// in memory as the SDK would.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');

/** What the bundle is built from: its source folders and the locked SDK versions (the default build ID). */
function codeHash(): string {
  const hash = createHash('sha256');
  for (const dir of ['workflows', 'domain']) {
    for (const f of (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).filter((x) => x.endsWith('.ts')).sort()) {
      hash.update(f).update(readFileSync(join(ROOT, dir, f)));
    }
  }
  return hash
    .update(readFileSync(join(ROOT, 'package-lock.json')))
    .digest('hex')
    .slice(0, 16);
}

const cachedPath = (hash: string) => join(ROOT, 'node_modules', '.cache', 'meridian', `workflows-${hash}.js`);

/**
 * A bundle's build ID (Worker Versioning): the source hash for this code's bundle (the same on
 * every host), else the hash of the bundle's own text (tests' other builds).
 */
export function bundleBuildId(bundle?: WorkflowBundleOption): string {
  const hash = codeHash();
  if (!bundle || ('codePath' in bundle && bundle.codePath === cachedPath(hash))) return hash;
  const code = 'codePath' in bundle ? readFileSync(bundle.codePath) : bundle.code;
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

export async function workflowBundle(): Promise<WorkflowBundleOption> {
  const codePath = cachedPath(codeHash());
  const cacheDir = join(codePath, '..');
  if (existsSync(codePath)) return { codePath };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Write, then rename: a concurrent start never reads half a bundle.
    const tmp = `${codePath}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, codePath);
    return { codePath };
  } catch {
    return { code };
  }
}
