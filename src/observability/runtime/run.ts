/**
 * One run of the coverage report: read the environment, build the report, write the metrics
 * (EMF lines on stdout) and put the event. Called by the thin Lambda entry point.
 */
import { coverageEmfLines } from './metrics';
import { buildCoverageReport } from './report';
import { Env } from '../../aws/drs/client';
import { RetryOptions, withRetry } from '../../aws/drs/retry';
import { DrsClient } from '../../aws/drs/sdk';
import { createEventBridgeClient, EventBridgeClient, putEvent } from '../../aws/eventbridge/events';
import { jsonLogger, Logger } from '../../common/runtime/log';
import { CoverageEnv, CoverageEvent, CoverageReportDetail } from '../../contract';

/** Largest event EventBridge accepts is 256 KB; the lists are dropped (counts kept) above this. */
const MAX_DETAIL_BYTES = 200_000;

export interface RunOptions {
  readonly client: DrsClient;
  readonly env: Env;
  readonly write?: (line: string) => void;
  readonly log?: Logger;
  readonly now?: () => number;
  /** @default a client from the environment (region; the SDK's endpoint configuration) */
  readonly events?: EventBridgeClient;
  /** Backoff of DRS and EventBridge calls. @default withRetry's (production) defaults */
  readonly retry?: RetryOptions;
}

export interface RunResult {
  readonly totals: CoverageReportDetail['totals'];
  readonly stagingAccounts: number;
  readonly eventId?: string;
}

export function readSettings(env: Env): { maxDaysSinceDrill: number; eventBus?: string; extraStagingAccounts: string[] } {
  const rawDays = env[CoverageEnv.MAX_DAYS_SINCE_DRILL];
  const maxDaysSinceDrill = Number(rawDays);
  if (!rawDays || !Number.isInteger(maxDaysSinceDrill) || maxDaysSinceDrill < 1) {
    throw new Error(`${CoverageEnv.MAX_DAYS_SINCE_DRILL} must be a whole number of days >= 1, got '${rawDays ?? ''}'`);
  }
  const extraStagingAccounts = (env[CoverageEnv.EXTRA_STAGING_ACCOUNTS] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const bad = extraStagingAccounts.filter((a) => !/^[0-9]{12}$/.test(a));
  if (bad.length > 0) throw new Error(`${CoverageEnv.EXTRA_STAGING_ACCOUNTS} must list 12-digit account ids, got ${bad.join(', ')}`);
  const eventBus = env[CoverageEnv.EVENT_BUS] || undefined;
  return { maxDaysSinceDrill, eventBus, extraStagingAccounts };
}

/** The event detail, without the per-server lists when it would be too large for EventBridge. */
export function boundedDetail(report: CoverageReportDetail): CoverageReportDetail {
  if (Buffer.byteLength(JSON.stringify(report)) <= MAX_DETAIL_BYTES) return report;
  return {
    ...report,
    stagingAccounts: report.stagingAccounts.map((a) => ({
      ...a, unmanaged: [], extensionErrorServers: [], notDrilledInTimeServers: [], unextended: [], truncated: true,
    })),
  };
}

export async function runCoverageReport(options: RunOptions): Promise<RunResult> {
  const { env } = options;
  const log = options.log ?? jsonLogger({ component: 'coverage-report' });
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const settings = readSettings(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  // Production backoff unless the caller (createHandler, tests) passes other options: nothing in
  // the environment changes timing (no test hooks in deployed code).
  const retry: RetryOptions = {
    ...options.retry,
    onRetry: ({ attempt, delayMs, error }) => log('retrying', { attempt, delayMs, error: (error as Error).name }),
  };
  const report = await buildCoverageReport(options.client, {
    region, maxDaysSinceDrill: settings.maxDaysSinceDrill, extraStagingAccounts: settings.extraStagingAccounts, now: options.now, retry,
  });
  for (const line of coverageEmfLines(report)) write(line);
  let eventId: string | undefined;
  if (settings.eventBus) {
    const detail = boundedDetail(report);
    const events = options.events ?? createEventBridgeClient(env);
    eventId = await withRetry(() => putEvent(events, {
      source: CoverageEvent.SOURCE, detailType: CoverageEvent.DETAIL_TYPE, detail, eventBusName: settings.eventBus!,
    }), retry);
  }
  log('coverage report', { totals: report.totals, stagingAccounts: report.stagingAccountCount, eventId });
  return { totals: report.totals, stagingAccounts: report.stagingAccountCount, ...(eventId ? { eventId } : {}) };
}
