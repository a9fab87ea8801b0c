// The Temporal side of the benchmarks that run rollouts for real: a headless dev server of their
// own on free ports, a worker connection and a client; quiet logs (warnings only).
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { freePort } from '../lab/processes.js';
import { startTemporalDevServer, type TemporalDevServer } from '../lab/temporal-dev.js';

export interface BenchServer {
  server: TemporalDevServer;
  connection: NativeConnection;
  client: Client;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startBenchServer(): Promise<BenchServer> {
  if (!runtimeInstalled) {
    // Activity log lines at INFO would drown the table: warnings and errors only.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const server = await startTemporalDevServer({ headless: true, ports: { port: await freePort(), uiPort: 0 } });
  try {
    const connection = await NativeConnection.connect({ address: server.address });
    const clientConnection = await Connection.connect({ address: server.address });
    return {
      server,
      connection,
      client: new Client({ connection: clientConnection }),
      async close() {
        await Promise.allSettled([connection.close(), clientConnection.close()]);
        await server.daemon.stop();
      },
    };
  } catch (err) {
    await server.daemon.stop();
    throw err;
  }
}
