export interface Page<T> {
  readonly items?: T[];
  readonly nextToken?: string;
}

/**
 * Collects every page. Stops on a repeated token or after `maxPages`, so a misbehaving endpoint
 * cannot keep the handler looping until the Lambda times out.
 */
export async function collectPages<T>(fetchPage: (nextToken: string | undefined) => Promise<Page<T>>, maxPages = 1000): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(token);
    items.push(...(result.items ?? []));
    token = result.nextToken || undefined;
    if (token === undefined) return items;
    if (seen.has(token)) throw new Error(`pagination returned the same nextToken twice (${token})`);
    seen.add(token);
  }
  throw new Error(`pagination did not finish after ${maxPages} pages`);
}
