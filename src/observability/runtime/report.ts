/**
 * The coverage report of a target account: which extended servers exist per staging account,
 * which stacks own them, which no stack manages, which are in EXTENSION_ERROR, which were not
 * drilled in time, and which staging servers nothing has extended yet. Reads only: it calls
 * ListStagingAccounts, DescribeSourceServers and ListExtensibleSourceServers.
 */
import { collectDescribePages } from '../../aws/drs/describe-pages';
import { errorName } from '../../aws/drs/errors';
import { collectPages } from '../../aws/drs/paginate';
import { RetryOptions, withRetry } from '../../aws/drs/retry';
import {
  DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand, ListStagingAccountsCommand, SourceServer, StagingSourceServer,
} from '../../aws/drs/sdk';
import {
  CoverageCounts, CoverageReportDetail, COVERAGE_LIST_LIMIT, OwnerTags, ServerIssue, StackCoverage, StagingAccountCoverage,
  UnextendedServer,
} from '../../contract';

export interface CoverageOptions {
  readonly region: string;
  readonly maxDaysSinceDrill: number;
  /** Staging accounts to check besides those of existing extended servers. */
  readonly extraStagingAccounts?: readonly string[];
  readonly now?: () => number;
  readonly retry?: RetryOptions;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Launch statuses that prove a launch worked (TERMINATED: it launched and was cleaned up). */
const PROVEN = new Set(['LAUNCHED', 'TERMINATED']);
/** A launch still running neither proves nor disproves anything: the report does not flag it. */
const RUNNING = new Set(['PENDING', 'IN_PROGRESS']);

/** Reads the account and builds the report. DRS errors other than per-account read errors propagate. */
export async function buildCoverageReport(client: DrsClient, options: CoverageOptions): Promise<CoverageReportDetail> {
  const now = (options.now ?? Date.now)();
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, options.retry);
  const listed = await collectPages(async (nextToken) => {
    const r = await call(() => client.send(new ListStagingAccountsCommand({ nextToken })));
    return { items: r.accounts, nextToken: r.nextToken };
  });
  const accounts = [...new Set([...listed.map((a) => a.accountID!).filter(Boolean), ...(options.extraStagingAccounts ?? [])])].sort();

  const stagingAccounts: StagingAccountCoverage[] = [];
  for (const stagingAccountId of accounts) {
    const servers = await collectDescribePages((maxResults, nextToken) => call(() => client.send(new DescribeSourceServersCommand({
      filters: { stagingAccountIDs: [stagingAccountId] }, maxResults, nextToken,
    }))));
    let extensible: StagingSourceServer[] = [];
    let readError: string | undefined;
    try {
      extensible = await collectPages(async (nextToken) => call(() => client.send(
        new ListExtensibleSourceServersCommand({ stagingAccountID: stagingAccountId, nextToken }))));
    } catch (err) {
      // An account that no longer trusts this one (AccessDenied) or is not set up for DRS: report it, keep going.
      if (!['AccessDeniedException', 'ValidationException', 'ResourceNotFoundException', 'UninitializedAccountException'].includes(errorName(err) ?? '')) throw err;
      readError = `ListExtensibleSourceServers failed: ${errorName(err)}: ${(err as Error).message}`;
    }
    stagingAccounts.push(classify(stagingAccountId, servers, extensible, now, options.maxDaysSinceDrill, readError));
  }
  return {
    generatedAt: new Date(now).toISOString(),
    region: options.region,
    maxDaysSinceDrill: options.maxDaysSinceDrill,
    stagingAccountCount: accounts.length,
    totals: sumCounts(stagingAccounts),
    stagingAccounts,
  };
}

/** One staging account's figures from its extended servers and its extensible staging servers. */
export function classify(stagingAccountId: string, servers: SourceServer[], extensible: StagingSourceServer[], nowMs: number,
  maxDaysSinceDrill: number, readError?: string): StagingAccountCoverage {
  const stacks = new Map<string, { servers: number; resources: Set<string> }>();
  const unmanaged: string[] = [];
  const errors: ServerIssue[] = [];
  const notDrilled: ServerIssue[] = [];
  // DescribeSourceServers with a staging-account filter returns extended servers only; the check keeps it so.
  const extended = servers.filter((s) => s.stagingArea?.stagingAccountID === stagingAccountId);
  for (const s of extended) {
    const id = s.sourceServerID!;
    const stackId = s.tags?.[OwnerTags.STACK_ID];
    const logicalId = s.tags?.[OwnerTags.LOGICAL_ID];
    if (stackId && logicalId) {
      const entry = stacks.get(stackId) ?? { servers: 0, resources: new Set<string>() };
      entry.servers += 1;
      entry.resources.add(logicalId);
      stacks.set(stackId, entry);
    } else {
      unmanaged.push(id);
    }
    if (s.stagingArea?.status === 'EXTENSION_ERROR') {
      errors.push({ sourceServerId: id, stagingSourceServerArn: s.stagingArea.stagingSourceServerArn, errorMessage: s.stagingArea.errorMessage ?? '' });
    }
    const issue = drillIssue(s, nowMs, maxDaysSinceDrill);
    if (issue) notDrilled.push(issue);
  }
  const unextended: UnextendedServer[] = extensible.map((x) => ({ arn: x.arn!, ...(x.hostname ? { hostname: x.hostname } : {}) }));
  const stackList: StackCoverage[] = [...stacks.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([stackId, e]) => ({ stackId, servers: e.servers, resources: e.resources.size }));
  const lists = [unmanaged, errors, notDrilled, unextended];
  return {
    stagingAccountId,
    extendedServers: extended.length,
    managedServers: extended.length - unmanaged.length,
    unmanagedServers: unmanaged.length,
    extensionErrors: errors.length,
    notDrilledInTime: notDrilled.length,
    unextendedServers: unextended.length,
    stacks: stackList,
    unmanaged: unmanaged.slice(0, COVERAGE_LIST_LIMIT),
    extensionErrorServers: errors.slice(0, COVERAGE_LIST_LIMIT),
    notDrilledInTimeServers: notDrilled.slice(0, COVERAGE_LIST_LIMIT),
    unextended: unextended.slice(0, COVERAGE_LIST_LIMIT),
    truncated: lists.some((l) => l.length > COVERAGE_LIST_LIMIT),
    ...(readError ? { readError } : {}),
  };
}

/**
 * Not drilled in time: never launched, last launch failed, or last launch started more than
 * `maxDays` ago. A launch still running is not flagged (it may be the drill that proves it).
 */
export function drillIssue(s: SourceServer, nowMs: number, maxDays: number): ServerIssue | undefined {
  const last = s.lifeCycle?.lastLaunch;
  const at = last?.initiated?.apiCallDateTime;
  const status = last?.status;
  const base = { sourceServerId: s.sourceServerID! };
  if (!at) return base;
  if (status && RUNNING.has(status)) return undefined;
  const launched = Date.parse(at);
  const recent = Number.isFinite(launched) && nowMs - launched <= maxDays * DAY_MS;
  if (recent && status && PROVEN.has(status)) return undefined;
  return { ...base, lastLaunchDateTime: at, ...(status ? { lastLaunchStatus: status } : {}) };
}

export function sumCounts(accounts: readonly CoverageCounts[]): CoverageCounts {
  const zero: CoverageCounts = {
    extendedServers: 0, managedServers: 0, unmanagedServers: 0, extensionErrors: 0, notDrilledInTime: 0, unextendedServers: 0,
  };
  return accounts.reduce((t, a) => ({
    extendedServers: t.extendedServers + a.extendedServers,
    managedServers: t.managedServers + a.managedServers,
    unmanagedServers: t.unmanagedServers + a.unmanagedServers,
    extensionErrors: t.extensionErrors + a.extensionErrors,
    notDrilledInTime: t.notDrilledInTime + a.notDrilledInTime,
    unextendedServers: t.unextendedServers + a.unextendedServers,
  }), zero);
}
