/**
 * Entry point of the scheduled coverage report (`DrsCoverageReport`). The logic lives in
 * coverage-report/run.ts and coverage-report/report.ts, which the unit tests call directly.
 *
 * Lambda calls `handler`: production backoff, endpoints from the SDKs' standard configuration
 * (`AWS_ENDPOINT_URL_DRS`, `AWS_ENDPOINT_URL_EVENTBRIDGE`). Its settings are the construct's
 * (`COVERAGE_*`); nothing in the environment changes timings. `createHandler` builds the same
 * handler with other backoff, for code that loads this bundle itself.
 */
import { runCoverageReport, RunResult } from './runtime/run';
import { createDrsClient } from '../aws/drs/client';
import type { RetryOptions } from '../aws/drs/retry';
import { DrsClient } from '../aws/drs/sdk';
import { createEventBridgeClient, EventBridgeClient } from '../aws/eventbridge/events';

export interface CoverageHandlerOptions {
  readonly retry?: RetryOptions;
}

export type CoverageHandler = () => Promise<RunResult>;

export function createHandler(options: CoverageHandlerOptions = {}): CoverageHandler {
  // One client per container: connections are reused across invocations.
  let client: DrsClient | undefined;
  let events: EventBridgeClient | undefined;
  return async () => {
    client ??= createDrsClient(process.env);
    events ??= createEventBridgeClient(process.env);
    return runCoverageReport({ client, events, env: process.env, retry: options.retry });
  };
}

export const handler: CoverageHandler = createHandler();
