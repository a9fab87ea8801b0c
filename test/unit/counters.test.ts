// Exact counts between two samples of raw per-instance counters: what each instance served, with
// resets, series that appear with their first event, instances that go away, and the requests the
// balancer failed itself.
import { describe, expect, it } from 'vitest';
import { countsBetween, downServers, hostCountsBetween, type ColourSample } from '../../domain/counters.js';

const at = (instances: ColourSample['instances'], servers?: ColourSample['servers']): ColourSample => ({
  instances,
  ...(servers ? { servers } : {}),
});

describe('countsBetween', () => {
  it('adds up what each instance served between the samples', () => {
    const before = at({ a: { requests: 100, errors: 2, slow: 5 }, b: { requests: 50, errors: 0, slow: 1 } });
    const now = at({ a: { requests: 130, errors: 3, slow: 9 }, b: { requests: 70, errors: 4, slow: 1 } });
    expect(countsBetween(before, now)).toEqual({ requests: 50, errors: 5, slow: 4 });
  });

  it('a counter that dropped restarted from 0: everything it shows now was served since', () => {
    const before = at({ a: { requests: 1_000, errors: 10, slow: 40 }, b: { requests: 10, errors: 0, slow: 0 } });
    const now = at({ a: { requests: 25, errors: 1, slow: 2 }, b: { requests: 20, errors: 0, slow: 0 } });
    expect(countsBetween(before, now)).toEqual({ requests: 35, errors: 1, slow: 2 });
  });

  it('an instance absent before counts from 0, and so does the first sample of a period', () => {
    const now = at({ a: { requests: 30, errors: 1, slow: 0 }, fresh: { requests: 7, errors: 1, slow: 2 } });
    expect(countsBetween(at({ a: { requests: 30, errors: 1, slow: 0 } }), now)).toEqual({ requests: 7, errors: 1, slow: 2 });
    expect(countsBetween(undefined, now)).toEqual({ requests: 37, errors: 2, slow: 2 });
  });

  it('a 5xx series created by its first error (read as 0 before) counts that error', () => {
    const before = at({ a: { requests: 40, errors: 0, slow: 0 } });
    expect(countsBetween(before, at({ a: { requests: 41, errors: 1, slow: 0 } }))).toEqual({ requests: 1, errors: 1, slow: 0 });
  });

  it('an instance gone since adds nothing; the others still count', () => {
    const before = at({ gone: { requests: 500, errors: 9, slow: 3 }, b: { requests: 10, errors: 0, slow: 0 } });
    expect(countsBetween(before, at({ b: { requests: 16, errors: 0, slow: 1 } }))).toEqual({ requests: 6, errors: 0, slow: 1 });
  });

  it('never more errors or slow requests than requests from one instance, even across a reset of one counter only', () => {
    const before = at({ a: { requests: 10, errors: 5, slow: 0 } });
    expect(countsBetween(before, at({ a: { requests: 12, errors: 4, slow: 0 } }))).toEqual({ requests: 2, errors: 2, slow: 0 });
  });

  it('requests the balancer failed itself never reached the application: added to requests and errors', () => {
    const before = at(
      { a: { requests: 100, errors: 0, slow: 0 } },
      { g1: { responses: 0, serverErrors: 0, errors: 3, down: false }, g2: { responses: 0, serverErrors: 0, errors: 0, down: false } },
    );
    const now = at(
      { a: { requests: 110, errors: 0, slow: 0 } },
      {
        g1: { responses: 0, serverErrors: 0, errors: 8, down: true },
        g2: { responses: 0, serverErrors: 0, errors: 0, down: false },
        g3: { responses: 0, serverErrors: 0, errors: 2, down: true },
      },
    );
    expect(countsBetween(before, now)).toEqual({ requests: 17, errors: 7, slow: 0 });
    expect(downServers(now)).toEqual(['g1', 'g3']);
    expect(downServers(before)).toEqual([]);
  });
});

describe('hostCountsBetween', () => {
  const server = (responses: number, serverErrors: number, errors = 0) => ({ responses, serverErrors, errors, down: false });
  it("each host's responses and the balancer's failures for it, by server name across balancers, with resets", () => {
    const before = at({}, { 'g1@lb-a': server(100, 1), 'g1@lb-b': server(50, 0), 'g2@lb-a': server(500, 20, 2) });
    const now = at({}, { 'g1@lb-a': server(130, 2), 'g1@lb-b': server(60, 1), 'g2@lb-a': server(30, 3, 5), 'g3@lb-a': server(7, 0) });
    expect(hostCountsBetween(before, now)).toEqual({
      // 30 + 10 responses, 1 + 1 of them 5xx.
      g1: { requests: 40, errors: 2 },
      // The responses counter restarted (30 < 500): 30 since, 3 of them 5xx; 3 more the balancer failed.
      g2: { requests: 33, errors: 6 },
      // New since: all of it.
      g3: { requests: 7, errors: 0 },
    });
    expect(hostCountsBetween(before, at({ a: { requests: 1, errors: 0, slow: 0 } }))).toEqual({});
  });
});
