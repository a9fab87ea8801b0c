// The lab's sample service: predictable failures, colour and version on every answer, metrics the
// gates read; and a lab deploy's restart, after which it reports the release it installed.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTarGz } from '../../lab/artifacts.js';
import { releaseFiles, restartCommand, startFaultAgent } from '../../lab/fault-agent.js';
import { startSampleService, type SampleService } from '../../lab/sample-service.js';

let svc: SampleService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

async function statuses(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

describe('sample service', () => {
  it.each([0, 7, 10, 25, 100])('fails exactly %i % of 200 application requests', async (pct) => {
    svc = await startSampleService({ colour: 'green', version: 'v2.0.0', errorRatePct: pct });
    const codes = await statuses(`${svc.url}/api`, 200);
    expect(codes.filter((c) => c === 500)).toHaveLength((200 * pct) / 100);
    expect(codes.filter((c) => c === 200)).toHaveLength(200 - (200 * pct) / 100);
  });

  it('names its colour and version in the header and body; /health and /metrics are not counted', async () => {
    svc = await startSampleService({ colour: 'blue', version: 'v1.0.0', errorRatePct: 100 });
    const res = await fetch(`${svc.url}/anything`);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-colour')).toBe('blue');
    expect(await res.json()).toMatchObject({ colour: 'blue', version: 'v1.0.0' });
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{code="500",colour="blue",version="v1.0.0"} 1');
    expect(metrics).toContain('http_requests_total{code="200",colour="blue",version="v1.0.0"} 0');
    expect(metrics).toMatch(/http_request_duration_seconds_count\{colour="blue",version="v1.0.0"\} 1/);
    expect(metrics).toMatch(/process_cpu_seconds_total\{colour="blue",version="v1.0.0"\}/);
    expect(metrics).toMatch(/host_memory_total_bytes\{colour="blue",version="v1.0.0"\} \d+/);
    expect(svc.served()).toBe(1);
  });

  it('takes a fault in process and over PUT /fault', async () => {
    svc = await startSampleService({ colour: 'green', version: 'v2.0.0' });
    expect(await statuses(`${svc.url}/`, 4)).toEqual([200, 200, 200, 200]);
    svc.setFault({ errorRatePct: 100 });
    expect(await statuses(`${svc.url}/`, 2)).toEqual([500, 500]);
    const put = await fetch(`${svc.url}/fault`, { method: 'PUT', body: JSON.stringify({ errorRatePct: 0 }) });
    expect(put.status).toBe(200);
    expect(await statuses(`${svc.url}/`, 2)).toEqual([200, 200]);
    const bad = await fetch(`${svc.url}/fault`, { method: 'PUT', body: JSON.stringify({ errorRatePct: 150 }) });
    expect(bad.status).toBe(400);
  });

  it('a restart reports the new version in headers, body, /health and every metric label, its counters from zero', async () => {
    svc = await startSampleService({ colour: 'green', version: 'v1.0.0' });
    await statuses(`${svc.url}/api`, 3);
    svc.restart('v1.1.0+build.7');
    expect(svc.version).toBe('v1.1.0+build.7');
    const res = await fetch(`${svc.url}/api`);
    expect(res.headers.get('x-version')).toBe('v1.1.0+build.7');
    expect(await res.json()).toMatchObject({ colour: 'green', version: 'v1.1.0+build.7' });
    expect(await (await fetch(`${svc.url}/health`)).json()).toMatchObject({ status: 'ok', version: 'v1.1.0+build.7' });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).not.toContain('v1.0.0');
    expect(metrics).toContain('http_requests_total{code="200",colour="green",version="v1.1.0+build.7"} 1');
    expect(metrics).toMatch(/http_request_duration_seconds_count\{colour="green",version="v1\.1\.0\+build\.7"\} 1/);
    expect(metrics).toMatch(/host_memory_total_bytes\{colour="green",version="v1\.1\.0\+build\.7"\} \d+/);
  });
});

describe('a lab deploy', () => {
  it("restarts the colour from the unpacked artifact: the service reports the artifact's VERSION and takes its faults", async () => {
    svc = await startSampleService({ colour: 'green', version: 'v1.0.0' });
    const dir = mkdtempSync(join(tmpdir(), 'meridian-release-'));
    const agent = await startFaultAgent({ services: { 'eu-west': { blue: svc, green: svc } }, logPath: join(dir, 'faults.jsonl') });
    try {
      // As the SSH deploy does: unpack the release, then run the colour's restartCommand from inside it.
      const release = join(dir, 'releases', 'v1.2.0');
      mkdirSync(release, { recursive: true });
      execFileSync('tar', ['-xzf', '-', '-C', release], {
        input: makeTarGz(releaseFiles('v1.2.0', { default: {}, regions: { 'eu-west': { errorRatePct: 100 } } })),
      });
      // Asynchronously: the agent answering the restart lives in this process.
      await promisify(execFile)('sh', ['-c', restartCommand(agent.url, 'eu-west', 'green')], {
        cwd: release,
        env: { ...process.env, MERIDIAN_VERSION: 'v1.2.0' },
        timeout: 10_000,
      });

      expect(await statuses(`${svc.url}/api`, 2)).toEqual([500, 500]);
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toContain('http_requests_total{code="500",colour="green",version="v1.2.0"} 2');
      expect(metrics).not.toContain('version="v1.0.0"');
      expect(agent.injections).toMatchObject([{ region: 'eu-west', colour: 'green', version: 'v1.2.0', kind: 'error-rate', value: 100 }]);
    } finally {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fault from a weight waits for the colour to reach it on the balancer, then is logged with it', async () => {
    svc = await startSampleService({ colour: 'green', version: 'v1.0.0' });
    const dir = mkdtempSync(join(tmpdir(), 'meridian-release-'));
    let weight = 0;
    const asked = new Set<string>();
    // Each read of the weight resolves the waiter: the test knows the agent saw a weight.
    let read: (() => void) | undefined;
    const nextRead = () => new Promise<void>((r) => (read = r));
    let injected: (() => void) | undefined;
    const injection = new Promise<void>((r) => (injected = r));
    const agent = await startFaultAgent({
      services: { 'eu-west': { blue: svc, green: svc } },
      logPath: join(dir, 'faults.jsonl'),
      weightOf: async (region, colour) => {
        asked.add(`${region}/${colour}`);
        const w = weight;
        read?.();
        return w;
      },
      onInjection: () => injected?.(),
    });
    const apply = (faults: object) =>
      fetch(`${agent.url}/apply/eu-west/green`, {
        method: 'PUT',
        headers: { 'x-release-version': 'v1.3.0' },
        body: JSON.stringify(faults),
      });
    try {
      expect((await apply({ default: { errorRatePct: 100, fromWeightPct: 101 } })).status).toBe(400);
      expect((await apply({ default: { errorRatePct: 100, fromWeightPct: 100 } })).status).toBe(200);
      weight = 50;
      // Two reads at 50: the agent has acted on the first.
      await nextRead();
      await nextRead();
      expect(await statuses(`${svc.url}/api`, 2)).toEqual([200, 200]);
      expect(agent.injections).toEqual([]);
      weight = 100;
      await injection;
      expect(await statuses(`${svc.url}/api`, 2)).toEqual([500, 500]);
      expect(agent.injections).toMatchObject([
        { region: 'eu-west', colour: 'green', version: 'v1.3.0', kind: 'error-rate', value: 100, fromWeightPct: 100 },
      ]);
      expect([...asked]).toEqual(['eu-west/green']);
    } finally {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
