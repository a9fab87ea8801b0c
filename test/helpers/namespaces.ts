// Each test file has a namespace of its own on the shared dev server: task queues, workflow IDs
// and visibility never cross files. Derived from the file's path, so global setup can create them.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** test/e2e/cli.test.ts → "t-e2e-cli". Takes a path or a file URL. */
export function namespaceOf(file: string): string {
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  const slug = relative(TEST_ROOT, path)
    .replace(/\.test\.ts$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase();
  return `t-${slug}`;
}
