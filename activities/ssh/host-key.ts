// Host key pinning: the deploy only talks to a host whose key the operator pinned in config,
// as a known_hosts line or an OpenSSH "SHA256:..." fingerprint. There is no accept-any mode.
import { createHash } from 'node:crypto';

/** Host key types ssh2 can verify. */
const KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;
type KeyType = (typeof KEY_TYPES)[number];

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

export interface HostKeyPin {
  /** OpenSSH form, unpadded: "SHA256:AbC...". */
  fingerprint: string;
  /** Known for known_hosts lines: lets the client ask the server for exactly that key. */
  keyType?: KeyType;
}

/** OpenSSH's fingerprint of a raw host key blob: unpadded base64 of its SHA-256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one pin; returns a message (no key material) when it is not one. */
export function parseHostKeyPin(text: string): HostKeyPin | string {
  const trimmed = text.trim();
  const fp = FINGERPRINT.exec(trimmed);
  if (fp) return { fingerprint: `SHA256:${fp[1]}` };
  const tokens = trimmed.split(/\s+/);
  if (tokens[0]?.startsWith('@')) return 'known_hosts markers (@cert-authority, @revoked) are not supported: pin the host key itself';
  // "[host]:port type base64 [comment]" or "type base64 [comment]".
  const at = tokens.findIndex((t) => (KEY_TYPES as readonly string[]).includes(t));
  if (at < 0 || at > 1) return `must be a known_hosts line (key type one of ${KEY_TYPES.join(', ')}) or a "SHA256:..." fingerprint`;
  const keyType = tokens[at] as KeyType;
  const b64 = tokens[at + 1] ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return 'the known_hosts line has no base64 key after its key type';
  const blob = Buffer.from(b64, 'base64');
  // An SSH public key blob starts with its own type name (uint32 length + name): catches truncated pastes.
  const nameLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (nameLen < 0 || blob.subarray(4, 4 + nameLen).toString('latin1') !== keyType)
    return 'the known_hosts key does not decode to a key of its stated type';
  return { fingerprint: fingerprintOf(blob), keyType };
}

/** The host key algorithms to offer so the server presents a pinned key; undefined = ssh2's defaults. */
export function hostKeyAlgorithms(pins: readonly HostKeyPin[]): string[] | undefined {
  if (pins.some((p) => !p.keyType)) return undefined; // a bare fingerprint may be of any type
  const algos = pins.flatMap((p) => (p.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [p.keyType!]));
  return [...new Set(algos)];
}
