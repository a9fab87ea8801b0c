// Connection settings from the temporal CLI's environment variables, and the task queue.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionOptions, taskQueueFrom } from '../../client/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('connectionOptions', () => {
  it('defaults to a local dev server without TLS', () => {
    expect(connectionOptions({ env: {} })).toEqual({ address: 'localhost:7233', namespace: 'default' });
  });

  it('reads TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; flags win', () => {
    const env = { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'deploys' };
    expect(connectionOptions({ env })).toEqual({ address: 'temporal.internal:7233', namespace: 'deploys' });
    expect(connectionOptions({ env, address: 'other:7233', namespace: 'x' })).toEqual({ address: 'other:7233', namespace: 'x' });
  });

  it('an API key turns TLS on (as the temporal CLI does), unless TEMPORAL_TLS=false', () => {
    expect(connectionOptions({ env: { TEMPORAL_API_KEY: 'k-123' } })).toMatchObject({ apiKey: 'k-123', tls: {} });
    expect(connectionOptions({ env: { TEMPORAL_API_KEY: 'k-123', TEMPORAL_TLS: 'false' } })).not.toHaveProperty('tls');
    expect(connectionOptions({ env: { TEMPORAL_TLS: 'true' } })).toMatchObject({ tls: {} });
  });

  it('mTLS from file paths or inline data, with a CA and server name', () => {
    const opts = connectionOptions({
      env: {
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', 'CERT'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('k.pem', 'KEY'),
        TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
      },
    });
    const tls = opts.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer; serverNameOverride: string };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect(tls.serverNameOverride).toBe('temporal.example');
    expect(() => connectionOptions({ env: { TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT' } })).toThrow(/both/);
  });
});

it('task queue: MERIDIAN_TASK_QUEUE, else "meridian"', () => {
  expect(taskQueueFrom({})).toBe('meridian');
  expect(taskQueueFrom({ MERIDIAN_TASK_QUEUE: 'meridian-staging' })).toBe('meridian-staging');
});
