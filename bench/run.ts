// `npm run bench -- <name> [--json] [args…]`: runs one benchmark and prints its table; with --json
// the last line of stdout is exactly one JSON object (for scripts and CI).

export interface Bench {
  run(args: string[]): Promise<{ table: string; json: unknown }>;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  judge: () => import('./judge.js'),
  'judge-bound': () => import('./judge-bound.js'),
  history: () => import('./history.js'),
  rollback: () => import('./rollback.js'),
  scale: () => import('./scale.js'),
  fleet: () => import('./fleet.js'),
};

const [name, ...rest] = process.argv.slice(2);
const load = name ? BENCHES[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <name> [--json]; available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
// Ctrl-C exits through 'exit', where the lab's daemons (and a bench's worker process) are stopped.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const json = rest.includes('--json');
const started = Date.now();
const result = await (await load()).run(rest.filter((a) => a !== '--json'));
console.log(result.table);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (json) console.log(JSON.stringify(result.json));
