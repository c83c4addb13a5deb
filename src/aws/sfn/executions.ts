/**
 * The Step Functions reads of the drill's sweeper: is an execution still running, and which
 * executions of a state machine run now. Plain functions over a client, so the unit tests run
 * them against a mocked client.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from './sdk';
import type { Env } from '../drs/client';
import { collectPages } from '../drs/paginate';

/** The SDK's standard retries (throttling, 5xx) and bounded timeouts; the endpoint the SDK's standard way (AWS_ENDPOINT_URL_SFN). */
export function createSfnClient(env: Env): SFNClient {
  return new SFNClient({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
}

/**
 * The ARN of an execution of a standard state machine:
 * `arn:<partition>:states:<region>:<account>:execution:<stateMachineName>:<executionName>`.
 */
export function executionArn(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

/**
 * The status of one execution (`RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`,
 * `PENDING_REDRIVE`), or `GONE` when Step Functions no longer knows it (executions are kept
 * 90 days after they close): a gone execution does not run. DescribeExecution reads one
 * execution by ARN; other errors propagate, so the caller does not act on a guess.
 */
export async function executionStatus(client: SFNClient, stateMachineArn: string, executionName: string): Promise<string> {
  try {
    const out = await client.send(new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, executionName) }));
    return out.status ?? 'UNKNOWN';
  } catch (err) {
    if ((err as { name?: string }).name === 'ExecutionDoesNotExist') return 'GONE';
    throw err;
  }
}

/** Names of the state machine's executions that run now (ListExecutions, `statusFilter` RUNNING, every page). */
export async function runningExecutionNames(client: SFNClient, stateMachineArn: string): Promise<string[]> {
  const items = await collectPages(async (nextToken) => {
    const out = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
    return { items: out.executions ?? [], nextToken: out.nextToken };
  });
  return items.map((e) => e.name!).filter((n) => n !== undefined);
}
