// Where a host is reached, as a worker config names it: an IP address, a host name, or "env:NAME",
// the worker's environment variable NAME (NAME__<REGION> first) holding it, for addresses kept secret.
import { isIP } from 'node:net';
import { z } from 'zod';

const ENV_ADDRESS = /^env:([A-Z_][A-Z0-9_]*)$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address literal: an IP address or a host name. */
export const isHostOrIp = (v: string): boolean => isIP(v) !== 0 || HOSTNAME.test(v);

export const hostAddressSchema = z
  .string()
  .refine(
    (a) => isHostOrIp(a) || ENV_ADDRESS.test(a),
    'must be an IP address, a host name or "env:NAME" (an environment variable of the worker)',
  );

/** A configured address: the literal, or the environment variable that holds it. */
export type HostAddress = { literal: string } | { variable: string };

export function hostAddress(configured: string): HostAddress {
  const env = ENV_ADDRESS.exec(configured);
  return env ? { variable: env[1]! } : { literal: configured };
}
