// The worker's connections to Temporal. Settings come from the shared reader (client/connection.ts):
// a local dev server by default, a TOML profile, mTLS, or Temporal Cloud with an API key.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { WorkerConfigError } from '../activities/config.js';
import type { Env } from '../activities/secrets.js';
import { connectionOptions, TemporalSettingsError, type TemporalConnectOptions } from '../client/connection.js';

/** The worker's settings; unusable ones stop it with exit 78 like any other config problem. */
export function temporalSettingsFromEnv(env: Env): TemporalConnectOptions {
  try {
    return connectionOptions({ env });
  } catch (err) {
    if (err instanceof TemporalSettingsError) throw new WorkerConfigError('invalid Temporal connection settings', err.problems);
    throw err;
  }
}

export interface TemporalConnections {
  connection: NativeConnection;
  client: Client;
  close(): Promise<void>;
}

/** The worker's native connection, and a client connection for the policy activity's visibility count. */
export async function connectTemporal({ namespace, ...opts }: TemporalConnectOptions): Promise<TemporalConnections> {
  const connection = await NativeConnection.connect(opts);
  const clientConnection = await Connection.connect(opts).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  return {
    connection,
    client: new Client({ connection: clientConnection, namespace }),
    async close() {
      await Promise.allSettled([connection.close(), clientConnection.close()]);
    },
  };
}
