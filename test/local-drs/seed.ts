/**
 * Seeding many servers at once, for demos and benchmarks (hundreds of servers, several staging
 * accounts) without going through the API.
 */
import type { LocalDrs, ServerRef } from './index';

export interface SeedOptions {
  readonly account: string;
  readonly region: string;
  readonly count: number;
  /** Hostnames are `<prefix>-<n>` with n from 1. @default 'server' */
  readonly hostnamePrefix?: string;
  /** Tags for every server, or a function of the server's number (from 1). */
  readonly tags?: Record<string, string> | ((n: number) => Record<string, string>);
}

export interface SeededServer extends ServerRef {
  readonly hostname: string;
}

/**
 * Registers the account if needed and adds `count` replicating servers to it. Raise
 * `quotas.replicatingServersPerRegion` to seed more than 300 into one account and Region.
 */
export function seedServers(drs: LocalDrs, options: SeedOptions): SeededServer[] {
  drs.addAccount(options.account);
  const prefix = options.hostnamePrefix ?? 'server';
  const servers: SeededServer[] = [];
  for (let n = 1; n <= options.count; n++) {
    const hostname = `${prefix}-${n}`;
    const tags = typeof options.tags === 'function' ? options.tags(n) : options.tags;
    servers.push({ ...drs.addReplicatingServer(options.account, options.region, { hostname, tags }), hostname });
  }
  return servers;
}
