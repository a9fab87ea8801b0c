// Generic daemon handling for tests and the demo lab: start a process in its own process group,
// wait until it answers, and stop the whole group, so no haproxy/nginx worker outlives its test.
import { spawn, type ChildProcess } from 'node:child_process';
import { portAnswers } from './ports.js';

export interface Daemon {
  name: string;
  pid: number;
  /** Last few KB of the daemon's stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Ready when this loopback TCP port accepts connections, and `ready()` (if given) resolves true. */
  port?: number;
  ready?: () => Promise<boolean>;
  timeoutMs?: number;
}

const OUTPUT_LIMIT = 16_384;
const live = new Set<ChildProcess>();

// A test runner that exits early must not leave daemons behind: kill every live group on exit.
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export { freePort, portAnswers } from './ports.js';

/** True when GET url answers 200. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // its own process group, so stop() reaches nginx/haproxy workers too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    live.delete(child);
  });

  const daemon: Daemon = {
    name: opts.name,
    pid: child.pid ?? -1,
    output: () => out,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Workers that ignored SIGTERM while the leader exited.
      killGroup(child, 'SIGKILL');
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new Error(`${opts.name} failed to start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${opts.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`);
    }
    const portOk = opts.port === undefined || (await portAnswers(opts.port));
    if (portOk && (!opts.ready || (await opts.ready()))) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop(1_000);
      throw new Error(`${opts.name} was not ready within ${opts.timeoutMs ?? 30_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
