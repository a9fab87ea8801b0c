// A real OpenSSH server on 127.0.0.1 for tests: its own host key, one authorised client key,
// config and pid file in a temp dir. Logs in as the user running the tests (root here).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

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

export async function startSshd(): Promise<Sshd> {
  // Privilege separation directory the Debian sshd expects; harmless if it exists.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sshd-'));
  const hostKey = generateKey(dir, 'host_ed25519');
  const clientKeyPath = generateKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const cfg = join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'LogLevel INFO',
        '',
      ].join('\n'),
    );
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = await waitForListening(proc);
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

/** Resolves true once sshd logs that it listens, or with its stderr when it exits first. */
function waitForListening(proc: ChildProcess): Promise<true | string> {
  return new Promise((resolve) => {
    let log = '';
    const timer = setTimeout(() => resolve(`timed out waiting for sshd: ${log}`), 30_000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/Server listening on/.test(log)) {
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

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
}
