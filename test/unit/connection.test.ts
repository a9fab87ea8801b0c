// The one Temporal connection reader (client/connection.ts, through @temporalio/envconfig): the
// temporal CLI's environment variables and TOML profiles, as the worker, the CLI and the library see them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionOptions, taskQueueFrom, TemporalSettingsError } from '../../client/connection.js';
import { WorkerConfigError } from '../../activities/config.js';
import { temporalSettingsFromEnv } from '../../workers/connect.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
type ResolvedTls = {
  clientCertPair?: { crt: Uint8Array; key: Uint8Array };
  serverRootCACertificate?: Uint8Array;
  serverNameOverride?: string;
};
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

const PROFILES = file(
  'temporal.toml',
  `[profile.default]
address = "default.internal:7233"

[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "deploys.acct"

[profile.prod.tls]
client_cert_path = "${file('prod.crt', 'PROD-CERT')}"
client_key_path = "${file('prod.key', 'PROD-KEY')}"
server_ca_cert_data = "PROD-CA"
server_name = "prod.internal"

[profile.cloud]
address = "cloud.tmprl.cloud:7233"
namespace = "cloud.acct"
api_key = "cloud-key-1"
`,
);

describe('connectionOptions: environment variables', () => {
  it('defaults to a local dev server without TLS', () => {
    expect(connectionOptions({ env: {} })).toEqual({ address: 'localhost:7233', namespace: 'default' });
  });

  it('reads TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; flags win; an empty variable counts as unset', () => {
    const env = { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'deploys' };
    expect(connectionOptions({ env })).toEqual({ address: 'temporal.internal:7233', namespace: 'deploys' });
    expect(connectionOptions({ env, address: 'other:7233', namespace: 'x' })).toEqual({ address: 'other:7233', namespace: 'x' });
    expect(connectionOptions({ env: { TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_API_KEY: '' } })).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
    });
  });

  it('an API key turns TLS on (as the temporal CLI does), unless TEMPORAL_TLS=false', () => {
    expect(connectionOptions({ env: { TEMPORAL_API_KEY: 'k-123' } })).toMatchObject({ apiKey: 'k-123', tls: true });
    expect(connectionOptions({ env: { TEMPORAL_API_KEY: 'k-123', TEMPORAL_TLS: 'false' } })).toMatchObject({ apiKey: 'k-123', tls: false });
    expect(connectionOptions({ env: { TEMPORAL_TLS: 'true' } }).tls).toEqual({});
  });

  it('mTLS from file paths or inline data, with a CA and server name', () => {
    const { tls } = connectionOptions({
      env: {
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', 'CERT'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('k.pem', 'KEY'),
        TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'CA',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
      },
    }) as { tls: ResolvedTls };
    expect(text(tls.clientCertPair?.crt)).toBe('CERT');
    expect(text(tls.clientCertPair?.key)).toBe('KEY');
    expect(text(tls.serverRootCACertificate)).toBe('CA');
    expect(tls.serverNameOverride).toBe('temporal.example');
  });

  it('refuses half a client certificate pair, a malformed address or namespace', () => {
    expect(() => connectionOptions({ env: { TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT' } })).toThrow(/certificate and its key together/);
    expect(() => connectionOptions({ env: { TEMPORAL_ADDRESS: 'http://temporal:7233' } })).toThrow(/must be host:port/);
    expect(() => connectionOptions({ env: { TEMPORAL_NAMESPACE: 'two words' } })).toThrow(/namespace name/);
    expect(connectionOptions({ env: { TEMPORAL_ADDRESS: '[::1]:7233' } }).address).toBe('[::1]:7233');
  });
});

describe('connectionOptions: TOML profiles', () => {
  it('TEMPORAL_PROFILE picks a profile of TEMPORAL_CONFIG_FILE, TLS files read; else "default"', () => {
    const prod = connectionOptions({ env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'prod' } });
    expect(prod).toMatchObject({ address: 'prod.tmprl.cloud:7233', namespace: 'deploys.acct' });
    const tls = prod.tls as ResolvedTls;
    expect([
      text(tls.clientCertPair?.crt),
      text(tls.clientCertPair?.key),
      text(tls.serverRootCACertificate),
      tls.serverNameOverride,
    ]).toEqual(['PROD-CERT', 'PROD-KEY', 'PROD-CA', 'prod.internal']);
    expect(connectionOptions({ env: { TEMPORAL_CONFIG_FILE: PROFILES } })).toEqual({
      address: 'default.internal:7233',
      namespace: 'default',
    });
    expect(connectionOptions({ env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'cloud' } })).toEqual({
      address: 'cloud.tmprl.cloud:7233',
      namespace: 'cloud.acct',
      apiKey: 'cloud-key-1',
      tls: true,
    });
  });

  it('environment variables override the profile, flags override both', () => {
    const env = {
      TEMPORAL_CONFIG_FILE: PROFILES,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'staging.acct',
      TEMPORAL_TLS_SERVER_NAME: 'edge.internal',
    };
    expect(connectionOptions({ env })).toMatchObject({
      address: 'cloud.tmprl.cloud:7233',
      namespace: 'staging.acct',
      apiKey: 'cloud-key-1',
      tls: { serverNameOverride: 'edge.internal' },
    });
    expect(connectionOptions({ env, address: 'flag.internal:7233' }).address).toBe('flag.internal:7233');
  });

  it('a missing profile, a missing named file, or bad TOML stops it, without quoting the file', () => {
    expect(() => connectionOptions({ env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'prdo' } })).toThrow(
      /Profile 'prdo' not found/,
    );
    expect(() => connectionOptions({ env: { TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml') } })).toThrow(/does not exist/);
    const broken = file('broken.toml', '[profile.default]\napi_key = "secret-key-99\naddress = 1\n');
    const err = (() => {
      try {
        connectionOptions({ env: { TEMPORAL_CONFIG_FILE: broken } });
      } catch (e) {
        return e as TemporalSettingsError;
      }
    })();
    expect(err).toBeInstanceOf(TemporalSettingsError);
    expect(err!.message).toMatch(/line 2/);
    expect(err!.message).not.toContain('secret-key-99');
  });
});

it('the worker reads the same settings, and unusable ones are a config error (exit 78)', () => {
  expect(temporalSettingsFromEnv({ TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'cloud' })).toEqual(
    connectionOptions({ env: { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'cloud' } }),
  );
  expect(() => temporalSettingsFromEnv({ TEMPORAL_TLS_CLIENT_KEY_PATH: file('only.key', 'KEY') })).toThrow(WorkerConfigError);
});

it('task queue: MERIDIAN_TASK_QUEUE, else "meridian"', () => {
  expect(taskQueueFrom({})).toBe('meridian');
  expect(taskQueueFrom({ MERIDIAN_TASK_QUEUE: 'meridian-staging' })).toBe('meridian-staging');
});
