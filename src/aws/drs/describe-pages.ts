/**
 * DescribeSourceServers page size. The model gives `maxResults` no maximum, and the handler asks
 * for large pages (Limits.DESCRIBE_PAGE_SIZE) so the look-up before each create is one call. Should
 * DRS refuse the size (a ValidationException whose fieldList names `maxResults`), the handler
 * falls back to a smaller page, the maximum the message names when it names one, and remembers the
 * size that worked for the rest of the container's life.
 */
import { collectPages, Page } from './paginate';
import { Logger, silentLogger } from '../../common/runtime/log';
import { Limits } from '../../contract';

/** The page DRS's other Describe operations default to: tried when the error names no maximum. */
export const FALLBACK_PAGE_SIZE = 100;

/** `undefined`: omit maxResults (the service's own default page). */
type PageSize = number | undefined;

let learned: { readonly size: PageSize } | undefined;

/** The page size the next DescribeSourceServers asks for. */
export function describePageSize(): PageSize {
  return learned ? learned.size : Limits.DESCRIBE_PAGE_SIZE;
}

/** Forgets a learned page size (unit tests; a new container starts afresh anyway). */
export function forgetDescribePageSize(): void {
  learned = undefined;
}

interface ValidationLike {
  readonly name?: string;
  readonly fieldList?: ReadonlyArray<{ readonly name?: string; readonly message?: string }>;
}

/**
 * The next size to try after `err` refused `size`, or `false` when `err` is not a refusal of the
 * page size (or there is nothing smaller left to try).
 */
export function smallerPageSize(err: unknown, size: PageSize): PageSize | false {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ValidationLike;
  if (e.name !== 'ValidationException' || size === undefined) return false;
  const field = (e.fieldList ?? []).find((f) => f.name === 'maxResults');
  if (!field) return false;
  const named = /(?:less than or equal to|at most|maximum(?: of| is)?|<=)\s*(\d+)/i.exec(field.message ?? '');
  const max = named ? Number(named[1]) : undefined;
  if (max !== undefined && max >= 1 && max < size) return max;
  if (size > FALLBACK_PAGE_SIZE) return FALLBACK_PAGE_SIZE;
  return undefined;
}

/**
 * Every page of a DescribeSourceServers query; `fetch` makes one call with the given page size
 * (omit `maxResults` when it is undefined) and token.
 */
export async function collectDescribePages<T>(
  fetch: (maxResults: number | undefined, nextToken: string | undefined) => Promise<Page<T>>,
  log: Logger = silentLogger,
): Promise<T[]> {
  return collectPages(async (nextToken) => {
    for (;;) {
      const size = describePageSize();
      try {
        return await fetch(size, nextToken);
      } catch (err) {
        const next = smallerPageSize(err, size);
        if (next === false) throw err;
        log('DescribeSourceServers refused the page size; asking for smaller pages', { refused: size, next: next ?? 'service default' });
        learned = { size: next };
      }
    }
  });
}
