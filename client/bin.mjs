#!/usr/bin/env node
// `meridian` from the repo without a build: register tsx's ESM loader, then run the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./cli.ts');
process.exitCode = await run(process.argv.slice(2));
