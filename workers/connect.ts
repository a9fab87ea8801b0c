// The worker's connection to Temporal, from the environment: a local dev server by default,
// mTLS with a client certificate, or Temporal Cloud with an API key (TLS on).
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { WorkerConfigError } from '../activities/config.js';
import type { Env } from '../activities/secrets.js';

export interface TemporalSettings {
  address: string;
  namespace: string;
  tls?: TLSConfig | true;
  /** Temporal Cloud API key: a secret, never logged. */
  apiKey?: string;
}

export function temporalSettingsFromEnv(env: Env): TemporalSettings {
  const address = env.TEMPORAL_ADDRESS || 'localhost:7233';
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const problems: string[] = [];
  if (!/^[^\s:/]+:\d{1,5}$/.test(address)) problems.push('TEMPORAL_ADDRESS must be host:port');
  if (!/^[A-Za-z0-9._-]+$/.test(namespace)) problems.push('TEMPORAL_NAMESPACE must be a namespace name');
  const read = (name: string): Buffer | undefined => {
    const path = env[name];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      problems.push(`${name} names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const crt = read('TEMPORAL_TLS_CERT');
  const key = read('TEMPORAL_TLS_KEY');
  const ca = read('TEMPORAL_TLS_CA');
  if (Boolean(env.TEMPORAL_TLS_CERT) !== Boolean(env.TEMPORAL_TLS_KEY)) problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither');
  if (problems.length) throw new WorkerConfigError('invalid Temporal connection settings', problems);

  let tls: TemporalSettings['tls'];
  if (crt && key) tls = { clientCertPair: { crt, key }, ...(ca ? { serverRootCACertificate: ca } : {}) };
  else if (ca) tls = { serverRootCACertificate: ca };
  else if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS === 'true') tls = true;
  return { address, namespace, ...(tls ? { tls } : {}), ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}) };
}

export interface TemporalConnections {
  connection: NativeConnection;
  client: Client;
  close(): Promise<void>;
}

/** The worker's native connection, and a client connection for the policy activity's visibility count. */
export async function connectTemporal(s: TemporalSettings): Promise<TemporalConnections> {
  const opts = { address: s.address, ...(s.tls ? { tls: s.tls } : {}), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
  const connection = await NativeConnection.connect(opts);
  const clientConnection = await Connection.connect(opts).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  return {
    connection,
    client: new Client({ connection: clientConnection, namespace: s.namespace }),
    async close() {
      await Promise.allSettled([connection.close(), clientConnection.close()]);
    },
  };
}
