// Opens an SSH session to a pinned host with key authentication only, and turns ssh2's failures
// into typed ones whose messages never carry the host's address or the key.
import { ApplicationFailure } from '@temporalio/common';
import { NodeSSH } from 'node-ssh';
import { nonRetryable } from '../errors.js';
import { fingerprintOf, hostKeyAlgorithms, type HostKeyPin } from './host-key.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  pins: readonly HostKeyPin[];
  readyTimeoutMs: number;
  /** For messages: "green in us-east". */
  where: string;
  /** The config field holding the pins, named in a mismatch. */
  pinField: string;
}

/** The subset of ssh2's ConnectConfig used here (ssh2 ships no types of its own). */
interface PinnedConnectConfig {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  readyTimeout: number;
  keepaliveInterval: number;
  tryKeyboard: false;
  algorithms?: { serverHostKey: string[] };
  hostVerifier: (key: Buffer) => boolean;
}

/** Replaces every occurrence of each secret (host address, user) in text that came back from the host. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('[redacted]');
  return out;
}

export async function connectPinned(t: SshTarget): Promise<NodeSSH> {
  let presented: string | undefined;
  const serverHostKey = hostKeyAlgorithms(t.pins);
  const config: PinnedConnectConfig = {
    host: t.host,
    port: t.port,
    username: t.username,
    privateKey: t.privateKey,
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
    readyTimeout: t.readyTimeoutMs,
    keepaliveInterval: 10_000,
    tryKeyboard: false,
    ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
    hostVerifier: (key: Buffer) => {
      const fp = fingerprintOf(key);
      if (t.pins.some((p) => p.fingerprint === fp)) return true;
      presented = fp;
      return false;
    },
  };
  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
    // A deploy is many short commands, each a few small packets: with Nagle's algorithm on, each
    // waits for the previous one's ACK (about 45 ms per command here, against 3–5 ms without).
    ssh.connection?.setNoDelay(true);
    return ssh;
  } catch (err) {
    ssh.dispose();
    throw connectFailure(err, t, presented);
  }
}

function connectFailure(err: unknown, t: SshTarget, presented: string | undefined): ApplicationFailure {
  if (presented) {
    const expected = t.pins.map((p) => p.fingerprint).join(' or ');
    return nonRetryable(
      'HostKeyMismatch',
      `host key of ${t.where} is not the pinned one: expected ${expected}, presented ${presented} (check ${t.pinField})`,
    );
  }
  const e = err as { message?: string; level?: string; code?: string | number };
  const message = String(e?.message ?? '');
  if (e?.level === 'client-authentication') {
    return nonRetryable('AuthenticationError', `${t.where} refused the SSH key of DROPLET_USER (public key authentication failed)`);
  }
  if (/privateKey|private key|passphrase/i.test(message)) {
    // ssh2's own wording names the problem (format, passphrase) without quoting the key.
    const reason = message.replace(/^Cannot parse privateKey: /, '').slice(0, 120);
    return nonRetryable('ConfigurationError', `SSH_PRIVATE_KEY cannot be used: ${redact(reason, [t.host])}`);
  }
  // Network-level failures are worth retrying. Only the code goes out: ssh2's messages quote the address.
  const why = typeof e?.code === 'string' ? e.code : e?.level === 'client-timeout' ? 'timed out during handshake' : 'connection failed';
  return ApplicationFailure.create({ type: 'SshConnectionError', message: `cannot open SSH to ${t.where} on port ${t.port}: ${why}` });
}
