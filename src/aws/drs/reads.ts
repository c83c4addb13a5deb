/**
 * The DRS reads of the drill's Lambda steps, each over all pages. Plain functions over a client,
 * so the unit tests run them against a mocked client.
 */
import { collectDescribePages } from './describe-pages';
import { collectPages } from './paginate';
import {
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeRecoveryInstancesCommand,
  DescribeSourceServersCommand,
  DrsClient,
  Job,
  JobLog,
  RecoveryInstance,
  SourceServer,
} from './sdk';

/** DescribeSourceServers' and DescribeRecoveryInstances' id filters take at most 200 ids. */
const ID_FILTER_MAX = 200;
/** DescribeJobs' jobIDs filter takes at most 1000 ids (model: DescribeJobsRequestFiltersJobIDs). */
const JOB_FILTER_MAX = 1000;
const PAGE = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every source server of the account, or those with the given ids (unknown ids are absent). */
export async function describeSourceServers(client: DrsClient, ids?: readonly string[]): Promise<SourceServer[]> {
  const filterSets = ids === undefined ? [undefined] : chunks(ids, ID_FILTER_MAX);
  const out: SourceServer[] = [];
  for (const sourceServerIDs of filterSets) {
    if (sourceServerIDs !== undefined && sourceServerIDs.length === 0) continue;
    // The page size falls back as the custom-resource handler's does (drs/describe-pages.ts).
    out.push(...await collectDescribePages((maxResults, nextToken) => client.send(new DescribeSourceServersCommand({
      filters: sourceServerIDs ? { sourceServerIDs } : {}, maxResults, nextToken,
    }))));
  }
  return out;
}

/** Every recovery instance of the account (drills, recoveries and failbacks alike). */
export async function describeRecoveryInstances(client: DrsClient): Promise<RecoveryInstance[]> {
  return collectPages((nextToken) => client.send(new DescribeRecoveryInstancesCommand({ filters: {}, maxResults: PAGE, nextToken })));
}

/** Jobs: all of the account's (no ids), or the given ones. */
export async function describeJobs(client: DrsClient, ids?: readonly string[]): Promise<Job[]> {
  const filterSets = ids === undefined ? [undefined] : chunks(ids, JOB_FILTER_MAX);
  const out: Job[] = [];
  for (const jobIDs of filterSets) {
    if (jobIDs !== undefined && jobIDs.length === 0) continue;
    out.push(...await collectPages((nextToken) => client.send(new DescribeJobsCommand({
      filters: jobIDs ? { jobIDs } : {}, maxResults: PAGE, nextToken,
    }))));
  }
  return out;
}

/** The log of one job, all pages, in the order DRS returns them. */
export async function describeJobLog(client: DrsClient, jobID: string): Promise<JobLog[]> {
  return collectPages((nextToken) => client.send(new DescribeJobLogItemsCommand({ jobID, maxResults: PAGE, nextToken })));
}

export { chunks };
