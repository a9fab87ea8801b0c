// The Temporal dev server with its Web UI, as a lab daemon: the project's temporal CLI on loopback,
// the default ports 7233/8233 when free (so the usual links work), else free ones; in memory unless
// a db file is given; Meridian's search attributes registered at start.
import { Connection } from '@temporalio/client';
import { ensureTemporalBinaries } from './temporal-binaries.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/contract.js';
import { freePort, httpOk, portAnswers, startDaemon, type Daemon } from './processes.js';

export interface TemporalDevServer {
  daemon: Daemon;
  /** host:port for clients and workers. */
  address: string;
  uiUrl: string;
  /** The Web UI page of a workflow. */
  workflowUrl(workflowId: string, namespace?: string): string;
}

const KEYWORD_TYPE: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` for every key the workflows upsert. */
function searchAttributeArgs(): string[] {
  return Object.values(SEARCH_ATTRIBUTE_KEYS).flatMap((k) => ['--search-attribute', `${k.name}=${KEYWORD_TYPE[k.type] ?? 'Keyword'}`]);
}

async function pickPorts(): Promise<{ port: number; uiPort: number }> {
  if (!(await portAnswers(7233)) && !(await portAnswers(8233))) return { port: 7233, uiPort: 8233 };
  return { port: await freePort(), uiPort: await freePort() };
}

export interface DevServerOptions {
  dbFile?: string;
  ports?: { port: number; uiPort: number };
  /** Namespaces to create at start (besides default), each with Meridian's search attributes. */
  namespaces?: string[];
  /** No Web UI (tests): readiness is the frontend port answering. */
  headless?: boolean;
  /** `--dynamic-config-value KEY=<JSON>` for each entry (tests shorten the drainage refresh of Worker Deployment versions). */
  dynamicConfig?: Record<string, unknown>;
}

/** Whether a client can connect: the frontend answers GetSystemInfo (what every SDK connection calls first). */
async function frontendHealthy(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

export async function startTemporalDevServer(opts: DevServerOptions = {}): Promise<TemporalDevServer> {
  const { cli } = ensureTemporalBinaries();
  if (!cli) throw new Error('the temporal CLI is not installed and could not be installed: run `npm run temporal:install`');
  const { port, uiPort } = opts.ports ?? (await pickPorts());
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const daemon = await startDaemon({
    name: 'temporal',
    command: cli,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      ...(opts.headless ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-disable-news-fetch']),
      '--log-level',
      'error',
      ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
      ...searchAttributeArgs(),
      ...(opts.namespaces ?? []).flatMap((n) => ['--namespace', n]),
      ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
    ],
    port,
    // The port answers before the frontend is healthy ("Frontend is not healthy yet"): ready once a client can connect.
    ready: async () => (await frontendHealthy(`127.0.0.1:${port}`)) && (opts.headless || (await httpOk(uiUrl))),
    timeoutMs: 60_000,
  });
  return {
    daemon,
    address: `127.0.0.1:${port}`,
    uiUrl,
    workflowUrl: (id, namespace = 'default') => `${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(id)}`,
  };
}
