#!/usr/bin/env node
// `meridian` from the repo without a build step. The CLI runs from a bundle of its own code
// (node_modules/.cache/meridian/cli-<hash>.mjs, rebuilt with esbuild when a source file changes):
// it starts in a third of the time that compiling the TypeScript on the fly takes. Without esbuild
// it runs the TypeScript through tsx, as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the CLI is built from: its sources and the locked dependency versions. */
function sourceHash() {
  const hash = createHash('sha256');
  for (const dir of ['client', 'domain', 'workflows', 'activities']) {
    for (const f of readdirSync(join(root, dir), { recursive: true })
      .filter((x) => /\.(ts|mjs)$/.test(x))
      .sort())
      hash.update(f).update(readFileSync(join(root, dir, f)));
  }
  return hash
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex')
    .slice(0, 16);
}

async function bundled() {
  const out = join(root, 'node_modules', '.cache', 'meridian', `cli-${sourceHash()}.mjs`);
  if (!existsSync(out)) {
    const { build } = await import('esbuild');
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp.mjs`;
    await build({
      entryPoints: [join(root, 'client', 'cli.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: tmp,
      logLevel: 'warning',
      // CommonJS dependencies inside an ES module still need `require`.
      banner: {
        js: "import { createRequire as __meridianRequire } from 'node:module'; const require = __meridianRequire(import.meta.url);",
      },
    });
    renameSync(tmp, out); // concurrent first runs never load half a bundle
  }
  return import(pathToFileURL(out).href);
}

let cli;
try {
  cli = await bundled();
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('./cli.ts');
}
process.exitCode = await cli.run(process.argv.slice(2));
