// Connects to Temporal with the same environment variables the temporal CLI reads, so CI jobs
// and operators configure both tools once. The API key is passed through, never printed.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../domain/contract.js';

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
}

type Env = NodeJS.ProcessEnv;

const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes'].includes(v.toLowerCase());

/** TLS from TEMPORAL_TLS* (file paths or inline PEM); on whenever an API key or any TLS setting is present. */
export function tlsFromEnv(env: Env): ConnectionOptions['tls'] {
  const pem = (data: string | undefined, path: string | undefined) => (data ? Buffer.from(data) : path ? readFileSync(path) : undefined);
  const crt = pem(env.TEMPORAL_TLS_CLIENT_CERT_DATA, env.TEMPORAL_TLS_CLIENT_CERT_PATH);
  const key = pem(env.TEMPORAL_TLS_CLIENT_KEY_DATA, env.TEMPORAL_TLS_CLIENT_KEY_PATH);
  const ca = pem(env.TEMPORAL_TLS_SERVER_CA_CERT_DATA, env.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  const serverName = env.TEMPORAL_TLS_SERVER_NAME;
  if (env.TEMPORAL_TLS !== undefined && !truthy(env.TEMPORAL_TLS)) return undefined;
  if (!crt && !key && !ca && !serverName && !env.TEMPORAL_API_KEY && !truthy(env.TEMPORAL_TLS)) return undefined;
  if (Boolean(crt) !== Boolean(key)) throw new Error('TLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or neither)');
  return {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
}

export function connectionOptions(opts: ConnectOptions = {}): ConnectionOptions & { namespace: string } {
  const env = opts.env ?? process.env;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const tls = tlsFromEnv(env);
  return {
    address: opts.address ?? (env.TEMPORAL_ADDRESS || 'localhost:7233'),
    namespace: opts.namespace ?? (env.TEMPORAL_NAMESPACE || 'default'),
    ...(tls ? { tls } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

export async function connectClient(opts: ConnectOptions = {}): Promise<Client> {
  const { namespace, ...conn } = connectionOptions(opts);
  const connection = await Connection.connect({ ...conn, connectTimeout: '10 seconds' });
  return new Client({ connection, namespace });
}

/** The worker's task queue: MERIDIAN_TASK_QUEUE, else 'meridian'. */
export const taskQueueFrom = (env: Env = process.env): string => env.MERIDIAN_TASK_QUEUE || DEFAULT_TASK_QUEUE;
