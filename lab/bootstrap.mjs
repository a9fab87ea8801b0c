// Runs before `npm test` / `npm start` with plain Node (no dependencies yet):
// installs the locked dependencies when node_modules is missing or stale.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const installedLock = join(root, 'node_modules', '.package-lock.json');

const stale = !existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('[meridian] installing npm dependencies (npm ci)\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
