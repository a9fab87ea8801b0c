// Many SSH "hosts" on one machine for the fleet bench: real OpenSSH servers on loopback addresses
// (Linux routes all of 127/8 to lo), one port, one host key and one authorised client key shared by
// all, so one known_hosts pin and one private key reach every host. OpenSSH's sshd takes at most 16
// listen sockets (MAX_LISTEN_SOCKS; more is fatal at start, and `sshd -t` does not catch it), so the
// addresses are split across several listeners of up to 16 each. MaxStartups is raised: its default
// (10:30:100) drops connections once 10 are unauthenticated, and a batch of 20 hosts opens 20 at once.
// Commands run as the user running this, through their login shell (see SetEnv below).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, generateKey, signalGroup, sshdConfig, stopGroup, waitForListening } from './sshd.js';

/** sshd's compile-time limit on ListenAddress sockets per process. */
export const MAX_LISTEN_SOCKS = 16;

export interface FleetHosts {
  /** One loopback address per host, in order. */
  addresses: string[];
  port: number;
  /** The authorised client key (OpenSSH PEM). */
  clientKey: string;
  /** The shared host key as a known_hosts line. */
  knownHostsLine: string;
  /** The sshd listener processes (each with up to MAX_LISTEN_SOCKS addresses). */
  pids: number[];
  stop(): Promise<void>;
}

/** `count` addresses 127.<a>.<b>.<c> from 127.0.3.1 upwards (skipping .0 and .255). */
function loopbackAddresses(count: number, first = 3 * 256 + 1): string[] {
  const out: string[] = [];
  for (let n = first; out.length < count; n++) {
    const c = n % 256;
    if (c === 0 || c === 255) continue;
    out.push(`127.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${c}`);
  }
  return out;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) signalGroup(proc, 'SIGKILL');
});

export async function startFleetHosts(count: number): Promise<FleetHosts> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'meridian-fleet-sshd-'));
  const addresses = loopbackAddresses(count);
  const hostKey = generateKey(dir, 'host_ed25519');
  const clientKeyPath = generateKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`));
  const groups: string[][] = [];
  for (let i = 0; i < addresses.length; i += MAX_LISTEN_SOCKS) groups.push(addresses.slice(i, i + MAX_LISTEN_SOCKS));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const procs: ChildProcess[] = [];
    const results = await Promise.all(
      groups.map((listen, g) => {
        const cfg = join(dir, `sshd_config.${g}`);
        // bash run by sshd sources ~/.bashrc unless it is a nested shell: the bench measures the deploy, not the
        // login user's rc files (on the machine this was written on, `pyenv init` there cost ~85 ms per command).
        const extra = ['UseDNS no', 'MaxStartups 1000', 'SetEnv SHLVL=1'];
        writeFileSync(cfg, sshdConfig({ port, listen, hostKey, pidFile: join(dir, `sshd.${g}.pid`), dir, extra }));
        const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], {
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        live.add(proc);
        proc.once('exit', () => live.delete(proc));
        procs.push(proc);
        return waitForListening(proc, listen.length);
      }),
    );
    const failed = results.find((r) => r !== true);
    if (failed === undefined) {
      // Past startup, nothing reads sshd's log: stop collecting it.
      for (const p of procs) p.stderr!.resume();
      const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
      return {
        addresses,
        port,
        clientKey: readFileSync(clientKeyPath, 'utf8'),
        knownHostsLine: `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`,
        pids: procs.map((p) => p.pid ?? -1),
        stop: async () => {
          await Promise.all(procs.map(stopGroup));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await Promise.all(procs.map(stopGroup));
    if (attempt >= 5 || !/Address already in use/.test(failed)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${failed}`);
    }
  }
}
