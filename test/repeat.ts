// `npm run test:repeat -- <path> <n>`: runs one test path n times in a row, each a fresh vitest
// run (its own dev server and bundle), and ends with "<passed> passed, <failed> failed".
import { spawnSync } from 'node:child_process';

const [path, times = '10'] = process.argv.slice(2);
const n = Number(times);
if (!path || !Number.isInteger(n) || n < 1) {
  console.error('usage: npm run test:repeat -- <test path> <times>');
  process.exit(2);
}
/** vitest's report of every failed test (from its "Failed Tests" banner), else its last 60 lines. */
function failures(stdout: string): string {
  const lines = stdout.split('\n');
  const from = lines.findIndex((l) => /Failed Tests \d/.test(l));
  return (from >= 0 ? lines.slice(from) : lines.slice(-60)).join('\n');
}

// eslint-disable-next-line no-control-regex -- strips ANSI colours from vitest's output
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

let passed = 0;
for (let i = 1; i <= n; i++) {
  const started = Date.now();
  const run = spawnSync('npx', ['vitest', 'run', path], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ok = run.status === 0;
  if (ok) passed++;
  const summary =
    plain(run.stdout)
      .split('\n')
      .filter((l) => /Tests\s+\d/.test(l))
      .pop() ?? '';
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`run ${i}/${n}: ${ok ? 'passed' : 'FAILED'} in ${seconds} s ${summary.trim()}`);
  if (!ok) console.log(failures(run.stdout), run.stderr.split('\n').slice(-20).join('\n'));
}
console.log(`${passed} passed, ${n - passed} failed`);
process.exit(passed === n ? 0 : 1);
