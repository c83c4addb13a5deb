/**
 * Entry point of the scheduled coverage report (`DrsCoverageReport`). The logic lives in
 * coverage-report/run.ts and coverage-report/report.ts, which the unit tests call directly.
 */
import { runCoverageReport, RunResult } from './coverage-report/run';
import { createDrsClient } from './drs/client';
import { DrsClient } from './drs/sdk';

// One client per container: connections are reused across invocations.
let client: DrsClient | undefined;

export async function handler(): Promise<RunResult> {
  client ??= createDrsClient(process.env);
  return runCoverageReport({ client, env: process.env });
}
