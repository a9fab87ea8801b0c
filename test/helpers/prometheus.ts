// Reading a test's own Prometheus directly: what it has scraped, for waiting on scrapes and for truth.

/** The first series' value of an instant query, or undefined when the result is empty. */
export async function promValue(promUrl: string, query: string): Promise<number | undefined> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}
