// The one reader of the Temporal connection, shared by the worker, the client library, the `meridian`
// CLI and the lab: the temporal CLI's own settings through @temporalio/envconfig, so operators
// configure both tools once. A TOML profile (TEMPORAL_CONFIG_FILE, else the user's temporal.toml;
// TEMPORAL_PROFILE, else "default") under TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and
// TEMPORAL_TLS*. The API key and key material are passed through, never printed.
import { existsSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from '../domain/contract.js';

export interface ConnectOptions {
  /** Flags: win over the profile and the environment. */
  address?: string;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
}

/** What both NativeConnection (worker) and Connection (client) take, plus the namespace. */
export interface TemporalConnectOptions {
  address: string;
  namespace: string;
  /** true: TLS with system roots (an API key turns it on); false: explicitly off. */
  tls?: TLSConfig | boolean;
  /** A secret: never logged. */
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** Connection settings that cannot work; each problem names the variable or profile field. */
export class TemporalSettingsError extends Error {
  override readonly name = 'TemporalSettingsError';
  constructor(readonly problems: string[]) {
    super(`invalid Temporal connection settings: ${problems.join('; ')}`);
  }
}

type Env = NodeJS.ProcessEnv;

/** Resolves the connection: flags, then environment variables, then the profile, then a local dev server. */
export function connectionOptions(opts: ConnectOptions = {}): TemporalConnectOptions {
  // An empty variable (an unset CI secret) counts as unset, not as an empty address.
  const env = Object.fromEntries(Object.entries(opts.env ?? process.env).filter((e): e is [string, string] => Boolean(e[1])));
  const { profile, conn, namespace } = load(env);
  const resolved: TemporalConnectOptions = {
    address: opts.address ?? conn.address ?? 'localhost:7233',
    namespace: opts.namespace ?? namespace ?? 'default',
    ...definedOnly({
      tls: typeof conn.tls === 'object' && conn.tls ? definedOnly(conn.tls) : (conn.tls ?? undefined),
      apiKey: conn.apiKey,
      metadata: profile.grpcMeta,
    }),
  };
  const problems = [
    ...(/^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(resolved.address)
      ? []
      : [`address "${resolved.address}" must be host:port (TEMPORAL_ADDRESS or the profile's address)`]),
    ...(/^[A-Za-z0-9._-]+$/.test(resolved.namespace)
      ? []
      : ["namespace must be a namespace name (TEMPORAL_NAMESPACE or the profile's namespace)"]),
    ...(Boolean(profile.tls?.clientCert) !== Boolean(profile.tls?.clientKey)
      ? [
          'mTLS needs a client certificate and its key together ' +
            '(TEMPORAL_TLS_CLIENT_CERT_* with TEMPORAL_TLS_CLIENT_KEY_*, or tls.client_cert_* with tls.client_key_*)',
        ]
      : []),
  ];
  if (problems.length) throw new TemporalSettingsError(problems);
  return resolved;
}

/** The profile with the environment applied, and the SDK options it makes (certificate files read). */
function load(env: Record<string, string>) {
  const file = env.TEMPORAL_CONFIG_FILE;
  // envconfig skips a missing file; one named on purpose is a typo worth stopping for.
  if (file && !existsSync(file)) throw new TemporalSettingsError([`TEMPORAL_CONFIG_FILE names a file that does not exist: ${file}`]);
  try {
    const profile = loadClientConfigProfile({ overrideEnvVars: env });
    const { connectionOptions: conn, namespace } = toClientOptions(profile);
    return { profile, conn, namespace };
  } catch (err) {
    // A TOML syntax error quotes the lines around it, which may hold an api_key: keep its first line and where.
    const e = err as Error & { line?: number; column?: number };
    const where = e.line === undefined ? '' : ` (config file line ${e.line}, column ${e.column})`;
    throw new TemporalSettingsError([`${e.message.split('\n')[0]}${where}`]);
  }
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export async function connectClient(opts: ConnectOptions = {}): Promise<Client> {
  const { namespace, ...conn } = connectionOptions(opts);
  const connection = await Connection.connect({ ...conn, connectTimeout: '10 seconds' });
  return new Client({ connection, namespace });
}

/** The worker's task queue: MERIDIAN_TASK_QUEUE, else 'meridian'. */
export const taskQueueFrom = (env: Env = process.env): string => env.MERIDIAN_TASK_QUEUE || DEFAULT_TASK_QUEUE;
