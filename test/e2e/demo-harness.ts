// Runs `npm start`'s demo the way a person does (its own process and process group, as in a
// terminal) and finds what it left behind. Each demo test file runs one lab, so the labs run side
// by side, each on a dev server port of its own.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { rolloutWorkflowId } from '../../domain/contract.js';
import { SERVICE } from '../../lab/demo-args.js';
import { ensureDebianPackages } from '../../lab/debian.js';
import { LAB_PACKAGES } from '../../lab/lab.js';
import { freePortWith } from '../../lab/ports.js';
import { lastEvents } from '../helpers/workflow-result.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The demo's process group (npx, tsx and node). */
  pgid: number;
}

/** A demo run's deadline, and its test's timeout: time after the deadline to interrupt it, tear down and assert. */
const DEMO_DEADLINE_MS = 250_000;
export const DEMO_TEST_TIMEOUT_MS = DEMO_DEADLINE_MS + 50_000;

export interface RunOptions {
  /** SIGINT to the group once the output matches (a terminal's Ctrl-C). */
  interrupt?: RegExp;
  /**
   * Past this, the rollout's last history events are appended to stderr and the demo is interrupted,
   * so a run that hangs explains itself within the test's own timeout. Keep it below that timeout.
   */
  deadlineMs?: number;
}

/** Starts the demo in a process group of its own, stopped at the deadline with the rollout's last events. */
export function runDemo(args: string[], opts: RunOptions = {}): Promise<Run> {
  const { interrupt, deadlineMs = DEMO_DEADLINE_MS } = opts;
  // npx dies of the SIGINT itself (no exit code to check), so the Ctrl-C run starts tsx directly.
  const [cmd, ...pre] = interrupt ? [join(ROOT, 'node_modules', '.bin', 'tsx')] : ['npx', 'tsx'];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, 'lab/demo.ts', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // The group is gone already.
      }
    };
    const check = () => {
      if (interrupt && !sent && interrupt.test(stdout + stderr)) {
        sent = true;
        signal('SIGINT');
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
    let killer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      void demoLastEvents(args).then((events) => {
        stderr += `\n[harness] the demo did not finish within ${deadlineMs} ms; interrupting it\n${events}\n`;
        signal('SIGINT');
        // A teardown that hangs too is ended outright.
        killer = setTimeout(() => signal('SIGKILL'), 30_000);
      });
    }, deadlineMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(deadline);
      clearTimeout(killer);
      resolve({ code, stdout, stderr, pgid: child.pid! });
    });
  });
}

/** The demo's rollout, its last history events read from the demo's own dev server. */
async function demoLastEvents(args: string[]): Promise<string> {
  const port = args[args.indexOf('--temporal-port') + 1];
  try {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 5_000 });
    try {
      return await lastEvents(new Client({ connection }), rolloutWorkflowId(SERVICE), 15);
    } finally {
      await connection.close();
    }
  } catch (err) {
    return `the rollout's history is unavailable: ${(err as Error).message}`;
  }
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
