// Loopback ports for the lab's daemons and the tests' servers. A port the OS picks (listen on 0)
// comes from the ephemeral range, which every outgoing connection draws from too: between the
// probe's close and the daemon's bind, a client socket of any process could take it (haproxy
// "cannot bind socket (Address already in use)" while three labs ran side by side). These ports
// come from below that range, and a reservation file per port keeps two Meridian processes from
// choosing the same one.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RESERVATIONS = join(tmpdir(), 'meridian-ports');
/** How many ports below the ephemeral range are drawn from. */
const SPAN = 10_000;
const reserved = new Set<number>();

process.once('exit', () => {
  for (const port of reserved) unlinkQuietly(join(RESERVATIONS, String(port)));
});

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

/** The lowest port the kernel hands to outgoing connections (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the port for this process, unless some process took it first. */
function reserve(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    reserved.add(port);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Left by a process that was killed: free it for a later draw, and draw another now.
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner && !alive(owner)) unlinkQuietly(file);
    return false;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A loopback port no other Meridian process holds, that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return freePortWith(0);
}

/** A free port `p` (as freePort) whose `p + offset` is free too: a server that derives a second port. */
export async function freePortWith(offset: number): Promise<number> {
  mkdirSync(RESERVATIONS, { recursive: true });
  const high = ephemeralLow() - 1 - offset;
  const low = Math.max(1_024, high - SPAN);
  const take = async (port: number) => reserve(port) && (await bindable(port));
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if ((await take(port)) && (offset === 0 || (await take(port + offset)))) return port;
  }
  throw new Error(`no free loopback port in ${low}-${high}`);
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
