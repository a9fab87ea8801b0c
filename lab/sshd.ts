// A real OpenSSH server on loopback for tests and the demo lab: its own host key, one authorised
// client key, config and pid file in a directory of its own. Logs in as the user running it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  /** The authorised client key (OpenSSH PEM) and its path. */
  clientKey: string;
  clientKeyPath: string;
  /** The host's public key as a known_hosts line ("[127.0.0.1]:port ssh-ed25519 AAAA...") and its fingerprint per ssh-keygen. */
  knownHostsLine: string;
  fingerprint: string;
  /** The listener's pid (also its process group). */
  pid: number;
  stop(): Promise<void>;
}

export { freePort };

/** Generates an ed25519 key pair without passphrase; returns the private key path. */
export function generateKey(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  return path;
}

/** OpenSSH's own SHA256 fingerprint of a public key file: an independent reference for the pinning code. */
export function sshKeygenFingerprint(pubPath: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' });
  return out.split(/\s+/)[1]!;
}

const live = new Set<ChildProcess>();
// A runner that exits early must not leave sshd behind.
process.once('exit', () => {
  for (const proc of live) signalGroup(proc, 'SIGKILL');
});

export interface SshdOptions {
  /** Where keys and config go (created; removed on stop). Default: a new temp dir. */
  dir?: string;
  /** Loopback addresses to listen on (same port), e.g. one per "droplet". Default 127.0.0.1. */
  listen?: string[];
}

/** An sshd_config for key-only logins on loopback; `extra` lines go before LogLevel. */
export function sshdConfig(o: { port: number; listen: string[]; hostKey: string; pidFile: string; dir: string; extra?: string[] }): string {
  return [
    `Port ${o.port}`,
    ...o.listen.map((a) => `ListenAddress ${a}`),
    `HostKey ${o.hostKey}`,
    `PidFile ${o.pidFile}`,
    `AuthorizedKeysFile ${join(o.dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    ...(o.extra ?? []),
    'LogLevel INFO',
    '',
  ].join('\n');
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  // Privilege separation directory the Debian sshd expects; harmless if it exists.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'meridian-sshd-'));
  mkdirSync(dir, { recursive: true });
  const listen = opts.listen ?? ['127.0.0.1'];
  const hostKey = generateKey(dir, 'host_ed25519');
  const clientKeyPath = generateKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const cfg = join(dir, 'sshd_config');
    writeFileSync(cfg, sshdConfig({ port, listen, hostKey, pidFile: join(dir, 'sshd.pid'), dir }));
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const ready = await waitForListening(proc, listen.length);
    if (ready === true) {
      const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
      return {
        host: '127.0.0.1',
        port,
        dir,
        clientKey: readFileSync(clientKeyPath, 'utf8'),
        clientKeyPath,
        knownHostsLine: `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`,
        fingerprint: sshKeygenFingerprint(`${hostKey}.pub`),
        pid: proc.pid ?? -1,
        stop: () => stopGroup(proc).then(() => rmSync(dir, { recursive: true, force: true })),
      };
    }
    await stopGroup(proc);
    // Another process took the port between probe and bind: try another one.
    if (attempt >= 5 || !/Address already in use/.test(ready)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${ready}`);
    }
  }
}

/** Resolves true once sshd logs that it listens on every address, or with its stderr when it exits first. */
export function waitForListening(proc: ChildProcess, addresses: number): Promise<true | string> {
  return new Promise((resolve) => {
    let log = '';
    const timer = setTimeout(() => resolve(`timed out waiting for sshd: ${log}`), 30_000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if ((log.match(/Server listening on/g) ?? []).length >= addresses) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exited with ${code}: ${log}`);
    });
  });
}

/** SIGTERM to sshd's process group (listener and connection children), SIGKILL if it lingers. */
export function stopGroup(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => signalGroup(proc, 'SIGKILL'), 5_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    signalGroup(proc, 'SIGTERM');
  });
}

export function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}
