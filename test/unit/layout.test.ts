// The source layout's rules: no two source files import each other, no source file passes 300
// lines, and the production worker stays small (everything that only runs Meridian locally is in lab/).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sources = (dir: string) =>
  (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
const lines = (f: string) => readFileSync(join(ROOT, f), 'utf8').split('\n').length;

/** Relative imports of a file, as repository paths of .ts sources. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

/** Modules a file loads when it loads (value imports and re-exports; not types, not dynamic import()). */
function loadsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+['"]([^'"]+)['"]/gms)].map((m) =>
    m[1]!.startsWith('.') ? normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts') : m[1]!,
  );
}

describe('layout', () => {
  const all = ['domain', 'workflows', 'activities', 'client', 'workers', 'lab', 'bench'].flatMap(sources);

  it('no two source files import each other', () => {
    const graph = new Map(all.map((f) => [f, new Set(importsOf(f))]));
    const mutual = all.flatMap((a) => [...graph.get(a)!].filter((b) => a < b && graph.get(b)?.has(a)).map((b) => `${a} <-> ${b}`));
    expect(mutual).toEqual([]);
  });

  it('starting a workflow loads no zod: each cached workflow keeps its own copy of what it loads (docs/BENCHMARKS.md)', () => {
    const seen = new Set<string>();
    const visit = (f: string): void => {
      if (seen.has(f)) return;
      seen.add(f);
      if (f.endsWith('.ts')) loadsOf(f).forEach(visit);
    };
    visit(join('workflows', 'index.ts'));
    expect([...seen].filter((f) => f.startsWith('domain'))).toContain(join('domain', 'judge-defaults.ts'));
    expect([...seen].filter((f) => f === 'zod' || f.startsWith('zod/'))).toEqual([]);
  });

  it('no file in the product folders passes 300 lines; workers/ holds under 600', () => {
    const product = ['domain', 'workflows', 'activities', 'client', 'workers'].flatMap(sources);
    expect(product.filter((f) => lines(f) > 300).map((f) => `${relative('.', f)}: ${lines(f)}`)).toEqual([]);
    expect(sources('workers').reduce((n, f) => n + lines(f), 0)).toBeLessThan(600);
  });
});
