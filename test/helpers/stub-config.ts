// A worker config startWorker accepts, for workers whose every activity is a stub (the stub
// worker process, the versioning drill): validated like a real one, never used.
import { parseWorkerConfig } from '../../activities/config.js';

/** A config startWorker accepts; never used, since every activity is a stub. */
export function unusedConfig(regions: string[]) {
  const colour = (c: string) => ({
    baseDir: `/srv/stub/${c}`,
    restartCommand: 'true',
    healthUrl: 'http://127.0.0.1:9/health',
    knownHosts: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  });
  const region = {
    deploy: { blue: colour('blue'), green: colour('green') },
    traffic: { kind: 'haproxy', adminSocket: '/nonexistent', backend: 'api', servers: { blue: 'blue', green: 'green' } },
    metrics: { prometheusUrl: 'http://127.0.0.1:9/' },
  };
  const secrets = {
    DROPLET_IP_BLUE: '10.0.0.1',
    DROPLET_IP_GREEN: '10.0.0.2',
    DROPLET_USER: 'stub',
    SSH_PRIVATE_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nstub\n-----END OPENSSH PRIVATE KEY-----',
  };
  const links = {
    grafanaDashboardUrl: 'https://grafana.example.com/d/x?var-region={region}',
    logsUrl: 'https://logs.example.com/?q={correlationId}',
  };
  return {
    config: parseWorkerConfig({ regions: Object.fromEntries(regions.map((r) => [r, region])), links }, secrets, {
      source: 'stub worker config',
    }).config,
    secrets,
  };
}
