// Runs `npm start`'s demo the way a person does (its own process and process group, as in a
// terminal) and finds what it left behind. Each demo test file runs one lab, so the labs run side
// by side, each on a dev server port of its own.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ensureDebianPackages } from '../../lab/debian.js';
import { LAB_PACKAGES } from '../../lab/lab.js';
import { freePortWith } from '../../lab/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The demo's process group (npx, tsx and node). */
  pgid: number;
}

/** Starts the demo in a process group of its own; `interrupt` sends SIGINT to the group once its output matches. */
export function runDemo(args: string[], interrupt?: RegExp): Promise<Run> {
  // npx dies of the SIGINT itself (no exit code to check), so the Ctrl-C run starts tsx directly.
  const [cmd, ...pre] = interrupt ? [join(ROOT, 'node_modules', '.bin', 'tsx')] : ['npx', 'tsx'];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, 'lab/demo.ts', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const check = () => {
      if (interrupt && !sent && interrupt.test(stdout + stderr)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      check();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      check();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, pgid: child.pid! }));
  });
}

/** Still running: a zombie (exited, waiting to be reaped by its new parent) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  })();
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** Live processes (pid, pgid, command) that belong to one of the groups or name the lab directory. */
export function leftovers(pgids: number[], labDir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      const [, pgid, stat = ''] = l.split(/\s+/);
      // A zombie has exited already; it only waits for its (re)parent to reap it.
      if (stat.startsWith('Z')) return false;
      return (pgid && pgids.includes(Number(pgid))) || l.includes(labDir);
    })
    .filter((l) => !l.includes('ps -eo'));
}

export const daemonPids = (stderr: string): number[] =>
  [...(/lab daemons \(pid\): (.*)/.exec(stderr)?.[1] ?? '').matchAll(/ (\d+)/g)].map((m) => Number(m[1]));

/**
 * A lab directory removed after the file, and the demo's flags every test passes (lab dir, dev server
 * port; its Web UI takes the port + 1000, so both are drawn free).
 */
export async function labArgs(prefix: string): Promise<{ labDir: string; args: string[] }> {
  const labDir = mkdtempSync(join(tmpdir(), `meridian-${prefix}-`));
  dirs.push(labDir);
  return { labDir, args: ['--lab-dir', labDir, '--temporal-port', String(await freePortWith(1000))] };
}

/** The Debian daemons first (as root; never two installs at once), lab directories removed after. */
export function useDemoLab(): void {
  beforeAll(() => {
    ensureDebianPackages(LAB_PACKAGES);
  });
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
}
