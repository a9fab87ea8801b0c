// The lab's sample service: predictable failures, colour on every answer, metrics the gates read.
import { afterEach, describe, expect, it } from 'vitest';
import { startSampleService, type SampleService } from '../../workers/lab/sample-service.js';

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
});
