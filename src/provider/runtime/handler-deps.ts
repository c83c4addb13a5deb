/** What the handler is given to run with: its clients, clock, timings and Lambda context. */
import type { PutFunction } from './response';
import type { CloudFormationClient } from '../../aws/cloudformation/sdk';
import type { Env } from '../../aws/drs/client';
import type { DrsClient } from '../../aws/drs/sdk';
import type { EC2Client } from '../../aws/ec2/sdk';
import type { StackResources } from '../../servers/runtime/ownership';

/** The parts of the Lambda context the handler uses (no dependency on @types/aws-lambda). */
export interface LambdaContextLike {
  readonly invokedFunctionArn?: string;
  readonly logStreamName?: string;
  getRemainingTimeInMillis?(): number;
}

/**
 * Timings the deployed function never changes: only code that builds the handler itself (the
 * local test runner, through `createHandler`) can pass them. Nothing in the environment or the
 * event reaches them.
 */
export interface HandlerTiming {
  /** Between two reads while waiting for a server to settle. @default 10 000 */
  readonly pollIntervalMs?: number;
  /** First backoff cap of DRS retries. @default 500 */
  readonly retryBaseDelayMs?: number;
  /** Caps how long Create waits for EXTENDED. @default the invocation's time minus the margins */
  readonly waitTimeoutMs?: number;
  /** How long a Create retries AccessDenied while a new role propagates. @default 120 000 */
  readonly propagationWindowMs?: number;
  /** Longest pause between two of those retries. @default 15 000 */
  readonly propagationMaxDelayMs?: number;
  /** First pause between two attempts of the response PUT; doubles. @default 1 000 */
  readonly responseRetryBaseDelayMs?: number;
}

export interface HandlerDeps {
  readonly client: DrsClient;
  /** EC2, for launch settings (the launch template DRS keeps per server). @default none */
  readonly ec2?: EC2Client;
  /** Reads of the handler's own stack (see cloudformation/stack-resources.ts). */
  readonly cloudFormation?: CloudFormationClient;
  readonly env: Env;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where log lines go. @default console.log */
  readonly write?: (line: string) => void;
  /**
   * Sends the response body to ResponseURL. @default an https PUT; a ResponseURL that is not https
   * is then refused before any work is done
   */
  readonly put?: PutFunction;
  readonly timing?: HandlerTiming;
  /** Reads the resources of the handler's own stack (ownership across renames). @default unknown */
  readonly stackResources?: StackResources;
}
