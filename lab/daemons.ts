// The real load balancers and monitoring daemons on loopback, each with generated config in a
// directory of its own: HAProxy, NGINX, Prometheus and the Pushgateway. Tests and the demo lab use these.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Colour } from '../domain/metrics.js';
import { renderNginxUpstream, type UpstreamServer } from '../activities/traffic-nginx.js';
import { freePort, httpOk, portAnswers, startDaemon, type Daemon } from './processes.js';

export interface HaproxyLab {
  daemon: Daemon;
  /** Where clients send traffic. */
  url: string;
  adminSocket: string;
  /** The same runtime API on 127.0.0.1:adminPort. */
  adminPort: number;
  backend: string;
  /** Server names by colour: the colour itself for one host, `green-1`, `green-2`… for a fleet (as the traffic config takes them). */
  servers: Record<Colour, string | string[]>;
  /** host:port of HAProxy's built-in Prometheus exporter (GET /metrics), for a scrape target. */
  metricsAddress: string;
}

/** One runtime API command on an HAProxy admin socket, e.g. `get weight api/green-2`; HAProxy answers and hangs up. */
function haproxyCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path: socketPath });
    let answer = '';
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`HAProxy did not answer "${command}"`)));
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (c) => (answer += c.toString()));
    sock.on('close', (hadError) => (hadError ? undefined : resolve(answer.trim())));
    sock.on('error', reject);
  });
}

/** A server's weight as `get weight` reports it (NaN for an answer without one). */
export const haproxyWeight = async (h: HaproxyLab, server: string): Promise<number> =>
  Number(/^(\d+)/.exec(await haproxyCommand(h.adminSocket, `get weight ${h.backend}/${server}`))?.[1] ?? NaN);

/**
 * The lab's health checks: a dead server is DOWN within `fall` checks `interMs` apart. A 2 s read
 * timeout per check keeps a live service whose event loop stalls (it shares the test's process)
 * from being marked down: that takes `fall` checks of 2 s without an answer.
 */
export const HAPROXY_CHECK = { interMs: 1_000, fall: 3, rise: 2, timeoutMs: 2_000 } as const;

function renderHaproxyConfig(o: {
  port: number;
  adminSocket: string;
  adminPort?: number;
  /** Port of the Prometheus exporter frontend; none without it. */
  metricsPort?: number;
  backend: string;
  servers: (UpstreamServer & { name: string })[];
}): string {
  // roundrobin is a dynamic algorithm: runtime weight changes apply to the next request.
  const servers = o.servers.map((s) => `  server ${s.name} ${s.address} weight ${s.weight}`).join('\n');
  const c = HAPROXY_CHECK;
  // No `option redispatch`: a request whose server refuses it is retried there (`retries`, 3 by
  // default, 1 s apart) and then answered 503, as a dying instance's clients see it.
  const metrics = o.metricsPort
    ? `
frontend metrics
  bind 127.0.0.1:${o.metricsPort}
  http-request use-service prometheus-exporter if { path /metrics }
`
    : '';
  return `global
  stats socket ${o.adminSocket} mode 600 level admin
${o.adminPort ? `  stats socket ipv4@127.0.0.1:${o.adminPort} level admin\n` : ''}  stats timeout 30s

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check ${c.timeoutMs}ms

frontend api
  bind 127.0.0.1:${o.port}
  default_backend ${o.backend}
${metrics}
backend ${o.backend}
  balance roundrobin
  option httpchk GET /health
  default-server check inter ${c.interMs}ms fall ${c.fall} rise ${c.rise}
${servers}
`;
}

/** A colour's servers: one named after the colour, or `<colour>-1`… for a fleet's addresses. */
const namesOf = (colour: Colour, backend: string | string[]) =>
  typeof backend === 'string' ? [colour] : backend.map((_, i) => `${colour}-${i + 1}`);

export async function startHaproxy(
  dir: string,
  backends: Record<Colour, string | string[]>,
  weights: Record<Colour, number> = { blue: 100, green: 0 },
): Promise<HaproxyLab> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const adminPort = await freePort();
  const metricsPort = await freePort();
  const adminSocket = join(dir, 'admin.sock');
  const backend = 'api';
  const cfg = join(dir, 'haproxy.cfg');
  const servers = (['blue', 'green'] as const).flatMap((c) =>
    [backends[c]].flat().map((address, i) => ({ name: namesOf(c, backends[c])[i]!, address, weight: weights[c] })),
  );
  await writeFile(cfg, renderHaproxyConfig({ port, adminSocket, adminPort, metricsPort, backend, servers }));
  const daemon = await startDaemon({
    name: 'haproxy',
    command: 'haproxy',
    args: ['-f', cfg, '-db'],
    port,
    ready: async () => existsSync(adminSocket) && (await portAnswers(adminPort)) && (await portAnswers(metricsPort)),
  });
  return {
    daemon,
    url: `http://127.0.0.1:${port}`,
    adminSocket,
    adminPort,
    backend,
    servers: {
      blue: typeof backends.blue === 'string' ? 'blue' : namesOf('blue', backends.blue),
      green: typeof backends.green === 'string' ? 'green' : namesOf('green', backends.green),
    },
    metricsAddress: `127.0.0.1:${metricsPort}`,
  };
}

export interface NginxLab {
  daemon: Daemon;
  url: string;
  configPath: string;
  includePath: string;
  upstream: string;
}

function renderNginxConfig(o: { dir: string; port: number; includePath: string; upstream: string }): string {
  // Every path nginx writes (pid, temp files) is in the lab directory; logs go to stderr.
  const tmp = (name: string) => `${name}_temp_path ${join(o.dir, `${name}_temp`)};`;
  return `pid ${join(o.dir, 'nginx.pid')};
error_log stderr notice;
worker_processes 1;

events {
  worker_connections 512;
}

http {
  access_log off;
  ${tmp('client_body')}
  ${tmp('proxy')}
  ${tmp('fastcgi')}
  ${tmp('uwsgi')}
  ${tmp('scgi')}

  include ${o.includePath};

  server {
    listen 127.0.0.1:${o.port};
    location / {
      proxy_pass http://${o.upstream};
      proxy_next_upstream off;
    }
  }
}
`;
}

export async function startNginx(
  dir: string,
  backends: Record<Colour, string>,
  weights: Record<Colour, number> = { blue: 100, green: 0 },
): Promise<NginxLab> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const upstream = 'api_backend';
  const configPath = join(dir, 'nginx.conf');
  const includePath = join(dir, 'upstream.conf');
  await writeFile(
    includePath,
    renderNginxUpstream(upstream, {
      blue: { address: backends.blue, weight: weights.blue },
      green: { address: backends.green, weight: weights.green },
    }),
  );
  await writeFile(configPath, renderNginxConfig({ dir, port, includePath, upstream }));
  const daemon = await startDaemon({
    name: 'nginx',
    command: 'nginx',
    args: ['-e', 'stderr', '-c', configPath, '-g', 'daemon off;'],
    port,
  });
  return { daemon, url: `http://127.0.0.1:${port}`, configPath, includePath, upstream };
}

export interface ScrapeTarget {
  /** host:port serving /metrics */
  address: string;
  /** Target labels, e.g. { region: 'us-east' }; the service itself exports colour and version. */
  labels: Record<string, string>;
  /** Scrape job: `services` (the default) or `haproxy` for a balancer's exporter. */
  job?: string;
}

function renderPrometheusConfig(targets: ScrapeTarget[], scrapeInterval = '1s'): string {
  const jobs = [...new Set(targets.map((t) => t.job ?? 'services'))];
  // JSON is YAML: no YAML library needed.
  return JSON.stringify(
    {
      global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
      scrape_configs: jobs.map((job) => ({
        job_name: job,
        static_configs: targets.filter((t) => (t.job ?? 'services') === job).map((t) => ({ targets: [t.address], labels: t.labels })),
      })),
    },
    null,
    2,
  );
}

export interface PrometheusLab {
  daemon: Daemon;
  url: string;
}

export async function startPrometheus(dir: string, targets: ScrapeTarget[], scrapeInterval = '1s'): Promise<PrometheusLab> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const cfg = join(dir, 'prometheus.yml');
  await writeFile(cfg, renderPrometheusConfig(targets, scrapeInterval));
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    port,
    ready: () => httpOk(`${url}/-/ready`),
    timeoutMs: 60_000,
  });
  return { daemon, url };
}

export interface PushgatewayLab {
  daemon: Daemon;
  url: string;
}

export async function startPushgateway(): Promise<PushgatewayLab> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: 'pushgateway',
    command: 'prometheus-pushgateway',
    // Debian's default persists to /var/lib/prometheus: keep the lab's pushes in memory only.
    args: [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'],
    port,
    ready: () => httpOk(`${url}/-/ready`),
  });
  return { daemon, url };
}
